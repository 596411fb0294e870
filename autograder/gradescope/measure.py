"""Measure one grading through the real zip's run_autograder: wall time and peak memory of the whole process tree.

    python -m autograder.gradescope.measure [--zip dist/autograder.zip] [--submission solution] [--cpus 0]

Lays out a Gradescope-like root in a temporary folder (source/ = the unzipped zip, submission/, metadata, results/),
runs source/run_autograder as a real process (under `taskset -c CPUS` when given: one core is a proxy for
Gradescope's 0.5 vCPU) and samples /proc every 50 ms: the resident memory of run_autograder and every descendant
(grader, sandboxed worker) summed, and the anonymous part of it. Shared pages are counted once per process, so
the sum slightly overstates.
"""
import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import zipfile
from pathlib import Path

from autograder.gradescope.package import build
from autograder.paths import ROOT as REPO

SAMPLE_SECONDS = 0.05
PAGE = os.sysconf("SC_PAGE_SIZE")
MB = 1024 * 1024


def lay_out(root, autograder_zip, submission_files, metadata):
    """A Gradescope root at `root`: source/ (the unzipped zip, permissions kept), submission/, metadata, results/."""
    root = Path(root)
    source = root / "source"
    with zipfile.ZipFile(autograder_zip) as archive:
        for info in archive.infolist():
            archive.extract(info, source)
            mode = (info.external_attr >> 16) & 0o777
            if mode:
                os.chmod(source / info.filename, mode)
    (root / "submission").mkdir()
    for path in submission_files:
        shutil.copy(path, root / "submission" / Path(path).name)
    (root / "submission_metadata.json").write_text(json.dumps(metadata))
    (root / "results").mkdir()
    return root


def tree_memory_bytes(root_pid):
    """(resident, anonymous resident) bytes of root_pid and all its descendants, from one scan of /proc.

    Anonymous memory (heap, arrays, TensorFlow's allocations) cannot be dropped under memory pressure; the rest of
    the resident memory is mapped files (shared libraries) the kernel can reclaim and re-read."""
    parents, usage = {}, {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as stat:
                parents[int(entry)] = int(stat.read().rsplit(")", 1)[1].split()[1])
            with open(f"/proc/{entry}/status") as status:
                fields = dict(line.split(":", 1) for line in status if ":" in line)
            usage[int(entry)] = tuple(int(fields.get(key, "0 kB").split()[0]) * 1024 for key in ("VmRSS", "RssAnon"))
        except (OSError, ValueError, IndexError):
            continue
    tree, frontier = {root_pid}, [root_pid]
    while frontier:
        parent = frontier.pop()
        children = [pid for pid, ppid in parents.items() if ppid == parent and pid not in tree]
        tree.update(children)
        frontier.extend(children)
    return (sum(usage.get(pid, (0, 0))[0] for pid in tree), sum(usage.get(pid, (0, 0))[1] for pid in tree))


def run_measured(command, env=None, cwd=None):
    """Run `command` to its end, sampling its tree's memory every 50 ms.

    Returns (wall seconds, peak resident bytes, peak anonymous bytes, stdout and stderr)."""
    started = time.monotonic()
    with tempfile.TemporaryFile() as output:
        process = subprocess.Popen(command, env=env, cwd=cwd, stdout=output, stderr=subprocess.STDOUT)
        peak = peak_anonymous = 0
        while process.poll() is None:
            resident, anonymous = tree_memory_bytes(process.pid)
            peak, peak_anonymous = max(peak, resident), max(peak_anonymous, anonymous)
            time.sleep(SAMPLE_SECONDS)
        seconds = time.monotonic() - started
        output.seek(0)
        return seconds, peak, peak_anonymous, output.read().decode(errors="replace")


def measure(autograder_zip, submission_files, cpus=None, python=sys.executable):
    """(wall seconds, peak resident bytes, peak anonymous bytes, results.json dict) for one grading."""
    root = Path(tempfile.mkdtemp(prefix="gradescope-root-"))
    try:
        metadata = {"id": 1, "created_at": "2025-01-01T12:00:00.000000+00:00", "previous_submissions": [],
                    "users": [{"email": "measure@example.edu", "name": "Measure", "id": 1}]}
        lay_out(root, autograder_zip, submission_files, metadata)
        command = [str(root / "source" / "run_autograder")]
        if cpus is not None:
            command = ["taskset", "-c", str(cpus)] + command
        env = dict(os.environ, AUTOGRADER_ROOT=str(root), AUTOGRADER_PYTHON=python)
        seconds, peak, peak_anonymous, _ = run_measured(command, env)
        results = json.loads((root / "results" / "results.json").read_text())
        return seconds, peak, peak_anonymous, results
    finally:
        shutil.rmtree(root, ignore_errors=True)


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m autograder.gradescope.measure", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--zip", default=None, help="default: build dist/autograder.zip first")
    parser.add_argument("--submission", default=str(REPO / "solution"), help="a folder of .py files")
    parser.add_argument("--cpus", default=None, help="taskset CPU list, e.g. 0 for one core")
    args = parser.parse_args(argv)
    autograder_zip = args.zip or REPO / "dist" / "autograder.zip"
    if args.zip is None:
        build(autograder_zip)
    files = [path for path in sorted(Path(args.submission).glob("*.py")) if path.name != "preprocess.py"]
    seconds, peak, peak_anonymous, results = measure(autograder_zip, files, args.cpus)
    cores = f"cores {args.cpus}" if args.cpus is not None else f"{os.cpu_count()} cores"
    print(f"{Path(args.submission).name} via run_autograder ({cores}): {seconds:.1f} s wall, "
          f"peak {peak / MB:.0f} MB resident, {peak_anonymous / MB:.0f} MB of it anonymous (whole tree), "
          f"score {results.get('score')}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())


# -- an environment built from the grading requirements alone ---------------------------------------------------------

ENVIRONMENTS = Path("/opt/cnn-autograder-envs")


def grading_environment(version=None):
    """The Python of a virtual environment made from the grading lock alone (requirements/grading-pyXY.txt, pip from
    requirements/pip.txt), as setup.sh makes Gradescope's: world-readable, the libraries that convolve restricted
    as setup.sh restricts them. Built once per lock (about a minute and a half) under ENVIRONMENTS and reused.
    Its base is the system's /usr/bin/pythonX.Y where there is one (Gradescope's is), else this Python's."""
    import fcntl
    import hashlib

    version = version or sys.version_info[:2]
    tag = "py%d%d" % version
    repo = REPO
    lock, pip_lock = repo / "requirements" / f"grading-{tag}.txt", repo / "requirements" / "pip.txt"
    digest = hashlib.sha256(lock.read_bytes() + pip_lock.read_bytes()).hexdigest()[:12]
    target = ENVIRONMENTS / f"grading-{tag}-{digest}"
    python = target / "bin" / "python"
    ENVIRONMENTS.mkdir(mode=0o755, parents=True, exist_ok=True)
    with open(ENVIRONMENTS / ".lock", "w") as guard:
        fcntl.flock(guard, fcntl.LOCK_EX)                # one build at a time; the others wait and reuse it
        if (target / ".ready").exists():              # written last: the build finished
            return python
        base = Path(f"/usr/bin/python{version[0]}.{version[1]}")
        base = base if base.exists() else Path(sys.base_prefix) / "bin" / f"python{version[0]}.{version[1]}"
        subprocess.run(["rm", "-rf", str(target)], check=True)      # a build that did not finish
        subprocess.run([str(base), "-m", "venv", str(target)], check=True)
        pip = [str(python), "-m", "pip", "install", "--quiet", "--no-cache-dir", "--require-hashes", "-r"]
        subprocess.run(pip + [str(pip_lock)], check=True)
        subprocess.run(pip + [str(lock)], check=True)
        subprocess.run(["chmod", "-R", "a+rX", str(target)], check=True)
        subprocess.run([str(python), "-c", "from autograder.sandbox.isolation import restrict_libraries\n"
                        "from autograder.stand_ins import DENIED_LIBRARIES\nrestrict_libraries(DENIED_LIBRARIES)"],
                       cwd=repo, check=True)
        (target / ".ready").touch()
    return python


def run_like_gradescope(autograder_zip, files, python, memory_mb=None, cpu_fraction=None, metadata=None):
    """The zip laid out in a fresh root and its run_autograder run as Gradescope runs it: as root without
    CAP_SYS_ADMIN (Docker's default capabilities: no namespaces), with `python` as the grading Python, inside a
    container-like cgroup of `memory_mb` and `cpu_fraction` of a CPU when given (cgroup v1, as on this machine).
    Returns (results.json, stdout, {"seconds", "peak_mb", "oom_kills"} of that cgroup or of the run)."""
    root = Path(tempfile.mkdtemp(prefix="gradescope-run-"))
    os.chmod(root, 0o755)
    groups = []
    try:
        lay_out(root, autograder_zip, files, metadata or {"id": 1, "created_at": "2026-11-01T12:00:00-05:00",
                                                          "previous_submissions": [], "users": []})
        if memory_mb is not None:
            groups.append(_container_group("memory", {"memory.limit_in_bytes": memory_mb * 1024 * 1024}))
        if cpu_fraction is not None:
            groups.append(_container_group("cpu", {"cpu.cfs_period_us": 100000,
                                                   "cpu.cfs_quota_us": int(100000 * cpu_fraction)}))

        def enter():
            for group in groups:
                (group / "cgroup.procs").write_text(str(os.getpid()))
        env = {"PATH": "/usr/bin:/bin", "LANG": "C.UTF-8", "AUTOGRADER_ROOT": str(root),
               "AUTOGRADER_PYTHON": str(python)}
        started = time.monotonic()
        completed = subprocess.run(["setpriv", "--bounding-set", "-sys_admin", str(root / "source" / "run_autograder")],
                                   env=env, capture_output=True, text=True, timeout=900, preexec_fn=enter)
        stats = {"seconds": time.monotonic() - started, "peak_mb": None, "oom_kills": None}
        for group in groups:
            if group.parent.name == "memory":
                stats["peak_mb"] = int((group / "memory.max_usage_in_bytes").read_text()) / 2 ** 20
                control = dict(line.split() for line in (group / "memory.oom_control").read_text().splitlines())
                stats["oom_kills"] = int(control.get("oom_kill", 0))
        return json.loads((root / "results" / "results.json").read_text()), completed.stdout, stats
    finally:
        shutil.rmtree(root, ignore_errors=True)
        for group in groups:         # deepest first: the sandboxes' own groups nest inside
            subprocess.run(["find", str(group), "-depth", "-type", "d", "-exec", "rmdir", "{}", ";"], check=False)


def _container_group(controller, settings):
    """A fresh cgroup v1 group of `controller` standing for a container; OSError where none can be made."""
    group = Path("/sys/fs/cgroup") / controller / f"cnn-container-{os.getpid()}-{time.monotonic_ns()}"
    group.mkdir()
    for name, value in settings.items():
        (group / name).write_text(str(value))
    return group
