"""The per-submission sandbox (autograder/sandbox/isolation.py) proven with real processes, as root.

Each test is one property of issue 9: an identity of its own, a private view, accounting that sees every process,
a kill switch nothing escapes, clean-up that cannot fail, and failing closed. Nothing here is skipped as root:
missing isolation fails.
"""
import os
import subprocess
import sys
import textwrap
import time
from dataclasses import replace
from pathlib import Path

import pytest

from autograder.config import CONFIG
from autograder.sandbox import REPOSITORY, StudentError, Worker
from autograder.sandbox import identity, isolation, view
from autograder.sandbox.isolation import IsolationUnavailable, Sandbox, leftovers

pytestmark = pytest.mark.skipif(os.geteuid() != 0, reason="the sandbox needs root (README, Security)")


def student(folder, source):
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "convolution.py").write_text(textwrap.dedent(source))
    return folder


def live_processes_of(uid):
    return [entry for entry in leftovers([uid]) if entry.startswith("process")]


def test_live_sandboxes_never_share_an_identity(tmp_path):
    source = "def trivial():\n    return 1\n"
    workers = [Worker(student(tmp_path / str(n), source)) for n in range(3)]
    try:
        for worker in workers:
            assert worker.call("convolution", "trivial").value == 1
        uids = [worker.isolation["uid"] for worker in workers]
        assert len(set(uids)) == 3
    finally:
        for worker in workers:
            worker.close()


def test_a_process_that_keeps_moving_does_not_survive(tmp_path):
    """setsid, then fork-and-exit every ~1 ms: a snapshot-then-kill misses it; a uid-wide kill(-1) does not."""
    source = """
        import os, time
        def escape():
            if os.fork() == 0:
                os.setsid()
                while True:
                    if os.fork() != 0:
                        os._exit(0)
                    time.sleep(0.001)
            time.sleep(0.5)
            return "escaped"
    """
    worker = Worker(student(tmp_path / "s", source))
    uid = worker.isolation["uid"]
    try:
        assert worker.call("convolution", "escape").value == "escaped"
        assert live_processes_of(uid)
    finally:
        worker.close()
    time.sleep(0.2)
    assert live_processes_of(uid) == []


def test_temporary_folders_and_ipc_are_private_and_wiped(tmp_path):
    source = """
        import ctypes, os
        def litter():
            for folder in ("/tmp", "/var/tmp", "/dev/shm", "/run/lock"):
                with open(os.path.join(folder, "cnn-isolation-test-litter"), "w") as file:
                    file.write("left for the next submission")
            libc = ctypes.CDLL(None, use_errno=True)
            return [libc.shmget(0x5EC2E0, 65536, 0o1666), libc.msgget(0x5EC2E1, 0o1666)]
    """
    worker = Worker(student(tmp_path / "s", source))
    uid = worker.isolation["uid"]
    try:
        identifiers = worker.call("convolution", "litter").value
        assert all(identifier >= 0 for identifier in identifiers)
        if worker.isolation["private_temp"]:       # the host's folders never saw the files
            assert not any(os.path.exists(f"{folder}/cnn-isolation-test-litter")
                           for folder in identity.SHARED_TEMP)
    finally:
        worker.close()
    assert leftovers([uid]) == []
    assert not worker.isolation.get("cleanup_problems")


def test_children_of_any_thread_count_against_memory(tmp_path):
    source = """
        import os, threading, time
        import numpy as np
        def hog():
            def spawn():
                for _ in range(3):
                    if os.fork() == 0:
                        block = np.ones(300 * 2 ** 20 // 8)
                        time.sleep(30)
                        os._exit(0)
            thread = threading.Thread(target=spawn)
            thread.start()
            thread.join()
            time.sleep(30)
    """
    limits = replace(CONFIG.sandbox, memory_mb=512)
    with Worker(student(tmp_path / "s", source), limits=limits) as worker:
        with pytest.raises(StudentError) as caught:
            worker.call("convolution", "hog", timeout=25)
    assert caught.value.kind == "memory"


def test_shared_memory_counts_against_memory(tmp_path):
    source = """
        def fill():
            for number in range(4):              # 4 files of 50 MB: each under the file-size limit
                with open(f"/dev/shm/fill{number}", "wb") as file:
                    for _ in range(50):
                        file.write(b"x" * 2 ** 20)
            return "wrote 200 MB"
    """
    limits = replace(CONFIG.sandbox, memory_mb=150)
    with Worker(student(tmp_path / "s", source), limits=limits) as worker:
        if worker.isolation["cgroup"] is None:
            pytest.fail("no cgroup here: shared memory would not be counted")
        with pytest.raises(StudentError) as caught:
            worker.call("convolution", "fill", timeout=25)
    assert caught.value.kind == "memory"


def test_a_1500_deep_tree_does_not_fail_the_clean_up(tmp_path):
    source = """
        import os
        def dig():
            here = os.getcwd()
            for top in (here, "/tmp"):
                os.chdir(top)
                for _ in range(1500):
                    os.mkdir("d")
                    os.chdir("d")
            os.chdir(here)
            return "dug"
    """
    worker = Worker(student(tmp_path / "s", source))
    root = worker._box.root
    assert worker.call("convolution", "dig", timeout=30).value == "dug"
    worker.close()
    assert not root.exists()
    assert not worker.isolation.get("cleanup_problems")
    assert leftovers([worker.isolation["uid"]]) == []


def test_the_view_shows_neither_the_grader_nor_the_class(tmp_path):
    class_folder = tmp_path / "class"
    classmate = student(class_folder / "classmate", "SECRET = 'classmate'\n")
    source = f"""
        import os
        def look():
            found = {{}}
            for path in ({str(REPOSITORY / "solution" / "convolution.py")!r},
                         {str(REPOSITORY / "examples")!r}, {str(classmate / "convolution.py")!r}):
                found[path] = os.path.exists(path)
            found["processes"] = sorted(int(p) for p in os.listdir("/proc") if p.isdigit())
            found["repository"] = sorted(os.listdir({str(REPOSITORY)!r})) if os.path.isdir({str(REPOSITORY)!r}) else []
            return found
    """
    with Worker(student(tmp_path / "me", source), hide=(class_folder,)) as worker:
        if worker.isolation["mode"] != "namespaces":
            pytest.skip("file permissions hide the grader here; the view is the namespaces' (tested where allowed)")
        seen = worker.call("convolution", "look").value
    assert not any(seen[path] for path in seen if path.startswith("/"))
    assert seen["processes"] == [1, 2] or len(seen["processes"]) <= 3     # the reaper and the worker
    assert set(seen["repository"]) <= {".venv"}                           # only the runtime is shown again


def test_fails_closed_when_the_identity_cannot_run_python(tmp_path, monkeypatch):
    """A Python only root can run (an interpreter of mode 700, as a root-only installation leaves it)."""
    python = tmp_path / "python"
    python.write_text(f"#!/bin/sh\nexec {sys.executable} \"$@\"\n")
    python.chmod(0o700)
    monkeypatch.setattr(sys, "executable", str(python))
    monkeypatch.setattr(isolation, "_PYTHON_CHECKED", {})
    with pytest.raises(IsolationUnavailable) as caught:
        Sandbox.open(CONFIG.sandbox)
    message = str(caught.value)
    assert "cannot run" in message and "Nothing of the student was run" in message


def test_without_cap_sys_admin_the_report_is_true_or_grading_refused(tmp_path):
    """Gradescope's Docker gives root no CAP_SYS_ADMIN: no namespaces. Then either the uid can run this Python and
    the report says the network is open, or (a Python under a root-only home, as here) `grade` refuses before
    touching a submission."""
    marker = tmp_path / "ran"
    folder = student(tmp_path / "s", f"import pathlib\npathlib.Path({str(marker)!r}).touch()\n"
                                     "def conv2d(*args):\n    return 0\n")
    result = subprocess.run(["setpriv", "--bounding-set", "-sys_admin", sys.executable, "-m", "autograder", "grade",
                             str(folder), "--out", str(tmp_path / "out")],
                            cwd=REPOSITORY, capture_output=True, text=True, timeout=600)
    if result.returncode == 2:
        assert "Cannot grade: the sandbox identity" in result.stderr and "cannot run" in result.stderr
        assert not marker.exists()
    else:
        results = (tmp_path / "out" / "s" / "grader.json").read_text()
        assert '"mode": "permissions"' in results and '"network_blocked": false' in results


@pytest.mark.slow
def test_isolation_holds_from_a_checkout_under_a_mode_700_folder(tmp_path):
    """The suite's isolation tests, run from a clone inside a root-only temporary folder (like `mktemp -d`, or /root),
    with its own virtual environment inside the clone, as `make test` makes it there (its packages are this venv's,
    through a .pth file, so that nothing is downloaded)."""
    private = tmp_path / "private"
    private.mkdir(mode=0o700)
    checkout = private / "checkout"
    subprocess.run(["git", "clone", "-q", str(REPOSITORY), str(checkout)], check=True, timeout=120)
    for name in ("autograder", "tests"):          # this working tree's (possibly uncommitted) code under test
        subprocess.run(["cp", "-a", str(REPOSITORY / name), str(checkout)], check=True)
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(checkout / ".venv")], check=True, timeout=120)
    site = next((checkout / ".venv" / "lib").glob("python3*/site-packages"))
    (site / "development.pth").write_text("\n".join(p for p in sys.path if p.endswith("site-packages")) + "\n")
    result = subprocess.run([str(checkout / ".venv" / "bin" / "python"), "-m", "pytest", "-q", "-p",
                             "no:cacheprovider", "tests/test_isolation.py", "tests/test_sandbox.py",
                             "tests/test_numpy_only_worker.py", "-k", "not mode_700"],
                            cwd=checkout, capture_output=True, text=True, timeout=900)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-2000:]
    assert " passed" in result.stdout and "skipped" not in result.stdout.splitlines()[-1]


def test_a_group_left_frozen_by_a_killed_grader_is_thawed_and_emptied_when_its_slot_is_next_used():
    """A grader SIGKILLed while it froze its sandbox's group leaves a process that cannot die until thawed; the next
    sandbox on that slot must not inherit it (nor skip the slot forever)."""
    from autograder.sandbox import cgroups
    group = cgroups.Cgroup.create(f"test-frozen-{os.getpid()}", CONFIG.sandbox, 256)
    if group is None or group.version != "v1":
        pytest.skip("the v1 freezer is what can be left frozen; this machine has no writable v1 groups")
    sleeper = subprocess.Popen(["sleep", "600"], preexec_fn=group.join)
    try:
        (group.folders["freezer"] / "freezer.state").write_text("FROZEN")
        os.kill(sleeper.pid, 9)                  # pending: a frozen process cannot die
        time.sleep(0.2)
        assert sleeper.poll() is None
        again = cgroups.Cgroup.create(f"test-frozen-{os.getpid()}", CONFIG.sandbox, 256)
        assert sleeper.wait(timeout=5) == -9
        assert (again.folders["freezer"] / "freezer.state").read_text().strip() == "THAWED"
    finally:
        (group.folders["freezer"] / "freezer.state").write_text("THAWED")
        sleeper.kill()
        sleeper.wait()
        group.remove()


def test_the_sandbox_dies_with_a_grader_killed_by_sigkill(tmp_path):
    """A grader killed at a time limit (SIGKILL: no clean-up runs) takes its sandboxed worker with it."""
    folder = student(tmp_path / "s", "import time\ndef nap():\n    time.sleep(600)\n")
    grader = subprocess.Popen([sys.executable, "-c", f"""
import sys
sys.path.insert(0, {str(REPOSITORY)!r})
from autograder.sandbox import Worker
worker = Worker({str(folder)!r})
print(worker.isolation["uid"], flush=True)
worker.call("convolution", "nap", timeout=600)
"""], stdout=subprocess.PIPE, text=True)
    uid = int(grader.stdout.readline())
    deadline = time.monotonic() + 30
    while not live_processes_of(uid) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert live_processes_of(uid)
    grader.kill()
    grader.wait()
    deadline = time.monotonic() + 10
    while live_processes_of(uid) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert live_processes_of(uid) == []


def test_a_killed_graders_folders_are_deleted_when_its_slot_is_next_used():
    """Scratch folders owned by a sandbox uid must not outlive a grader killed by SIGKILL (no clean-up ran)."""
    box = Sandbox.open(CONFIG.sandbox)
    uid, root = box.uid, box.root
    os.close(box._lock_fd)                        # the grader dies: its lock goes, nothing else is cleaned
    box._lock_fd = None
    assert root.exists()
    for _ in range(identity.SLOTS):               # slots are taken in turn: within one round this one comes back
        other = Sandbox.open(CONFIG.sandbox)
        same = other.uid == uid
        other.close()
        if same:
            break
    assert not root.exists()
