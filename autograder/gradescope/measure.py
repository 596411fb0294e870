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
from autograder.sandbox import identity

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


def tree_usage(root_pid):
    """(resident, anonymous resident) bytes of root_pid and all its descendants, from one scan of /proc, and
    {pid: CPU seconds of that process alone (utime + stime)} of them.

    Anonymous memory (heap, arrays, TensorFlow's allocations) cannot be dropped under memory pressure; the rest of
    the resident memory is mapped files (shared libraries) the kernel can reclaim and re-read."""
    parents, usage, cpu = {}, {}, {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as stat:
                fields = stat.read().rsplit(")", 1)[1].split()
            parents[int(entry)] = int(fields[1])
            cpu[int(entry)] = (int(fields[11]) + int(fields[12])) / identity.CLOCK_TICKS
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
    return (sum(usage.get(pid, (0, 0))[0] for pid in tree), sum(usage.get(pid, (0, 0))[1] for pid in tree),
            {pid: cpu[pid] for pid in tree if pid in cpu})


def run_measured(command, env=None, cwd=None):
    """Run `command` to its end, sampling its tree's memory and CPU every 50 ms, from outside.

    Returns (wall seconds, peak resident bytes, peak anonymous bytes, CPU seconds, stdout and stderr). The CPU is
    every process's own last sample, summed over every process seen (what one lived after its last sample, at
    most 50 ms each, is missed): killed sandboxes count, though no one waits for them."""
    started = time.monotonic()
    with tempfile.TemporaryFile() as output:
        process = subprocess.Popen(command, env=env, cwd=cwd, stdout=output, stderr=subprocess.STDOUT)
        peak = peak_anonymous = 0
        cpu_seen = {}
        while process.poll() is None:
            resident, anonymous, cpu = tree_usage(process.pid)
            peak, peak_anonymous = max(peak, resident), max(peak_anonymous, anonymous)
            cpu_seen.update(cpu)
            time.sleep(SAMPLE_SECONDS)
        seconds = time.monotonic() - started
        output.seek(0)
        return seconds, peak, peak_anonymous, sum(cpu_seen.values()), output.read().decode(errors="replace")


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
        seconds, peak, peak_anonymous, _, _ = run_measured(command, env)
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
    Its base is a system Python, /usr/bin/pythonX.Y, as Gradescope's is (world-readable, so the sandbox's uids can
    run it without namespaces): by default the first of 3.10 (Gradescope's), 3.11, 3.12, 3.13 the machine has, else
    this Python's own."""
    import fcntl
    import hashlib

    if version is None:
        found = [pair for pair in ((3, 10), (3, 11), (3, 12), (3, 13)) if Path("/usr/bin/python%d.%d" % pair).exists()]
        version = found[0] if found else sys.version_info[:2]
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


# Docker's default capabilities (what Gradescope's containers get): no CAP_SYS_ADMIN, so no namespaces, no mounts.
DOCKER_CAPABILITIES = ("chown", "dac_override", "fowner", "fsetid", "kill", "setgid", "setuid", "setpcap",
                       "net_bind_service", "net_raw", "sys_chroot", "mknod", "audit_write", "setfcap")
CGROUP_ROOT = Path("/sys/fs/cgroup")


class Container:
    """A cgroup standing for a Gradescope container on this host (v2, or v1's memory and cpu controllers): a memory
    limit, a CPU quota, and what the run used. `peak_unreclaimable_mb` (anonymous + shared memory, sampled every 50
    ms) is what counts for headroom: page cache is reclaimed under the limit, not fatal."""

    def __init__(self, memory_mb=None, cpu_fraction=None):
        self.memory_mb, self.cpu_fraction = memory_mb, cpu_fraction
        self.version = "v2" if (CGROUP_ROOT / "cgroup.controllers").exists() else "v1"
        name = f"cnn-container-{os.getpid()}-{time.monotonic_ns()}"
        self.folders = {}                                   # controller ("" on v2) -> the group's folder
        self.peak_unreclaimable = 0
        if self.version == "v2":
            folder = CGROUP_ROOT / name
            folder.mkdir()
            self.folders[""] = folder
            (CGROUP_ROOT / "cgroup.subtree_control").write_text("+memory +cpu +pids")
            if memory_mb is not None:
                (folder / "memory.max").write_text(str(memory_mb * MB))
                _try_write(folder / "memory.swap.max", "0")
            if cpu_fraction is not None:
                (folder / "cpu.max").write_text(f"{int(100000 * cpu_fraction)} 100000")
        else:
            for controller in ("memory", "cpu"):
                folder = CGROUP_ROOT / controller / name
                folder.mkdir()
                self.folders[controller] = folder
            if memory_mb is not None:
                (self.folders["memory"] / "memory.limit_in_bytes").write_text(str(memory_mb * MB))
            if cpu_fraction is not None:
                (self.folders["cpu"] / "cpu.cfs_period_us").write_text("100000")
                (self.folders["cpu"] / "cpu.cfs_quota_us").write_text(str(int(100000 * cpu_fraction)))

    @property
    def memory_folder(self):
        return self.folders["" if self.version == "v2" else "memory"]

    def enter(self):
        """In the child before exec: join the container's groups."""
        for folder in self.folders.values():
            (folder / "cgroup.procs").write_text(str(os.getpid()))

    def sample(self):
        """Note the unreclaimable memory now (memory.stat: v2 anon + shmem; v1 total_rss + total_shmem)."""
        stat = _stat_fields(self.memory_folder / "memory.stat")
        keys = ("anon", "shmem") if self.version == "v2" else ("total_rss", "total_shmem")
        self.peak_unreclaimable = max(self.peak_unreclaimable, sum(stat.get(key, 0) for key in keys))

    def stats(self):
        folder = self.memory_folder
        if self.version == "v2":
            peak_file, events = folder / "memory.peak", _stat_fields(folder / "memory.events")
        else:
            peak_file, events = folder / "memory.max_usage_in_bytes", _stat_fields(folder / "memory.oom_control")
        peak = _try_read(peak_file)
        return {"peak_mb": int(peak) / MB if peak.isdigit() else None, "oom_kills": events.get("oom_kill", 0),
                "peak_unreclaimable_mb": self.peak_unreclaimable / MB}

    def remove(self):
        for folder in self.folders.values():      # deepest first: the sandboxes' own groups nest inside
            subprocess.run(["find", str(folder), "-depth", "-type", "d", "-exec", "rmdir", "{}", ";"], check=False)

    def view_commands(self, view):
        """Shell commands that, inside a fresh mount namespace, show the grader the cgroup filesystem as Docker
        does: "read-only" (its own group at the root, read-only: the limit readable, no sandbox group creatable),
        or "hidden" (nothing: the limit cannot be seen)."""
        if view == "hidden":
            return [f"mount -t tmpfs -o ro,size=4k none {CGROUP_ROOT}"]
        pairs = [(self.folders[""], CGROUP_ROOT)] if self.version == "v2" else \
            [(folder, CGROUP_ROOT / controller) for controller, folder in self.folders.items()]
        commands = []
        for source, target in pairs:
            commands += [f"mount --bind {source} {target}", f"mount -o remount,bind,ro {target}"]
        if self.version == "v1":      # the other controllers and the folder holding them: read-only too
            others = [path for path in CGROUP_ROOT.iterdir() if os.path.ismount(path) and path.name not in self.folders]
            commands += [f"mount -o remount,bind,ro {path}" for path in [*others, CGROUP_ROOT]]
        return commands


def evict_from_page_cache(*folders):
    """A cold start for what a grading reads: every file under `folders` dropped from the page cache
    (posix_fadvise DONTNEED), never the whole machine's cache. Returns the number of files."""
    count = 0
    for folder in folders:
        for path in Path(folder).rglob("*"):
            try:
                if path.is_symlink() or not path.is_file():
                    continue
                descriptor = os.open(path, os.O_RDONLY)
            except OSError:
                continue
            try:
                os.posix_fadvise(descriptor, 0, 0, os.POSIX_FADV_DONTNEED)
                count += 1
            finally:
                os.close(descriptor)
    return count


def run_like_gradescope(autograder_zip, files, python, memory_mb=None, cpu_fraction=None, metadata=None,
                        cgroup_view="read-only", cold=False):
    """The zip laid out in a fresh root and its run_autograder run as Gradescope runs it: as root with Docker's
    default capabilities (no CAP_SYS_ADMIN: no namespaces), `python` as the grading Python, in a container cgroup
    of `memory_mb` and `cpu_fraction` of a CPU when given (v1 or v2), whose cgroup filesystem the grader sees as
    Docker shows it (cgroup_view "read-only", or "hidden": the limit not visible). cold: the grading's files
    (the environment, the base Python, the zip) are evicted from the page cache first.
    Returns (results.json, stdout, {"seconds", "peak_mb", "peak_unreclaimable_mb", "oom_kills"})."""
    # The root outside /tmp: the run gets a /tmp of its own, as a container has (what a grading leaves there, and
    # what the student can list there, is then this run's alone, not the machine's).
    root = Path(tempfile.mkdtemp(prefix="gradescope-run-", dir="/run" if os.geteuid() == 0 else None))
    os.chmod(root, 0o755)
    container = Container(memory_mb, cpu_fraction) if (memory_mb or cpu_fraction) else None
    try:
        lay_out(root, autograder_zip, files, metadata or {"id": 1, "created_at": "2026-11-01T12:00:00-05:00",
                                                          "previous_submissions": [], "users": []})
        if cold:
            environment = Path(python).parent.parent
            base = Path(subprocess.run([str(python), "-c", "import sys; print(sys.base_prefix)"],
                                       capture_output=True, text=True, check=True).stdout.strip())
            evict_from_page_cache(environment, base / "lib", root / "source")
        capabilities = ",".join(["-all", *(f"+{name}" for name in DOCKER_CAPABILITIES)])
        run = f"exec setpriv --bounding-set {capabilities} {root / 'source' / 'run_autograder'}"
        view = [*(container.view_commands(cgroup_view) if container else []),
                "mount -t tmpfs -o mode=1777,size=256m,nosuid,nodev cnn-container-tmp /tmp"]
        command = ["unshare", "--mount", "--propagation", "private", "sh", "-ec", "; ".join([*view, run])]
        env = {"PATH": "/usr/bin:/bin", "LANG": "C.UTF-8", "AUTOGRADER_ROOT": str(root),
               "AUTOGRADER_PYTHON": str(python)}
        started = time.monotonic()
        with tempfile.TemporaryFile() as output:
            process = subprocess.Popen(command, env=env, stdout=output, stderr=subprocess.STDOUT,
                                       preexec_fn=container.enter if container else None)
            try:
                while process.poll() is None and time.monotonic() - started < 900:
                    if container:
                        container.sample()
                    time.sleep(SAMPLE_SECONDS)
            finally:
                if process.poll() is None:
                    process.kill()
                process.wait()
            output.seek(0)
            stdout = output.read().decode(errors="replace")
        stats = {"seconds": time.monotonic() - started, "peak_mb": None, "peak_unreclaimable_mb": None,
                 "oom_kills": None, **(container.stats() if container else {})}
        results_file = root / "results" / "results.json"
        if not results_file.is_file():
            raise RuntimeError(f"run_autograder wrote no results.json:\n{stdout[-3000:]}")
        return json.loads(results_file.read_text()), stdout, stats
    finally:
        shutil.rmtree(root, ignore_errors=True)
        if container:
            container.remove()


def _stat_fields(path):
    fields = {}
    for line in _try_read(path).splitlines():
        key, _, value = line.partition(" ")
        if value.strip().isdigit():
            fields[key] = int(value)
    return fields


def _try_read(path):
    try:
        return Path(path).read_text().strip()
    except OSError:
        return ""


def _try_write(path, text):
    try:
        Path(path).write_text(text)
    except OSError:
        pass
