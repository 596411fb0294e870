"""The per-submission sandbox (autograder/sandbox/isolation.py) proven with real processes, as root.

Each test is one property of issue 9: an identity of its own, a private view, accounting that sees every process,
a kill switch nothing escapes, clean-up that cannot fail, and failing closed. Nothing here is skipped as root:
missing isolation fails.
"""
import importlib.machinery
import importlib.util
import os
import subprocess
import sys
import textwrap
import time
from dataclasses import replace
from pathlib import Path

import numpy as np
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
    the report says the seccomp filter blocks the network, or (a Python under a root-only home, as here) `grade`
    refuses before touching a submission."""
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
        assert '"mode": "permissions"' in results and '"network_blocked": true' in results  # the filter's


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


def test_a_killed_graders_folders_are_deleted_by_the_next_sandbox():
    """Scratch folders owned by a sandbox uid must not outlive a grader killed by SIGKILL (no clean-up ran): the
    next sandbox finds its uid's lock free and deletes them, whatever uid it draws itself."""
    box = Sandbox.open(CONFIG.sandbox)
    root = box.root
    os.close(box._lock_fd)                        # the grader dies: its lock goes, nothing else is cleaned
    box._lock_fd = None
    assert root.exists()
    other = Sandbox.open(CONFIG.sandbox)
    other.close()
    assert not root.exists()


# -- the instructor's files are left as they were -------------------------------------------------------------------

def test_a_grading_under_namespaces_changes_no_permission_of_the_checkout(tmp_path):
    # Before, every grading removed the "others" bits of .git, autograder/, solution/, examples/ and tests/ for
    # good, namespaces or not (a second user could no longer clone the course repository).
    if not view.namespaces_available():
        pytest.skip("permissions hide the grader here (tested below, and the Gradescope way in test_gradescope)")
    from autograder.grade import grade_submission
    from autograder.sandbox import GRADER_FOLDERS
    folders = [REPOSITORY, *(folder for folder in GRADER_FOLDERS if folder.exists())]
    at_start = {folder: os.stat(folder).st_mode for folder in folders}
    try:
        for folder in folders:            # readable by others, as a fresh clone is (the test would fail otherwise)
            os.chmod(folder, at_start[folder] | (0o005 if folder.is_dir() else 0o004))
        before = {folder: os.stat(folder).st_mode for folder in folders}
        result = grade_submission(REPOSITORY / "examples" / "submissions" / "flipped_kernel")
        assert result.isolation["mode"] == "namespaces" and result.score > 0
        assert {folder: os.stat(folder).st_mode for folder in folders} == before
    finally:
        for folder, mode in at_start.items():
            os.chmod(folder, mode)


def test_permissions_mode_hides_while_a_sandbox_relies_on_it_and_the_last_one_restores(tmp_path):
    """Where permissions must hide the grader (no namespaces, as on Gradescope), the folders lose their others'
    bits while any sandbox that relies on it is open, and get their modes back when the last one closes."""
    course = tmp_path / "course"
    folders = [course / name for name in ("autograder", "solution", "tests")]
    for folder in folders:
        folder.mkdir(parents=True)
        os.chmod(folder, 0o755)
    os.chmod(folders[1], 0o751)
    identity.make_state_dir()
    first = identity.hide_from_others(folders)
    second = identity.hide_from_others(folders)           # a second grader in the same mode, meanwhile
    try:
        assert [oct(os.stat(f).st_mode & 0o777) for f in folders] == ["0o750", "0o750", "0o750"]
        os.close(first)
        first = None
        assert identity.restore_others() == []                # the second sandbox still relies on it
        assert os.stat(folders[0]).st_mode & 0o007 == 0
        os.chmod(folders[2], 0o700)                           # the instructor's own change while grading
    finally:
        for fd in (first, second):
            if fd is not None:
                os.close(fd)
    restored = identity.restore_others()      # (a grader killed earlier may have left folders of its own to restore)
    assert {str(f) for f in folders[:2]} <= set(restored) and str(folders[2]) not in restored
    assert [oct(os.stat(f).st_mode & 0o777) for f in folders] == ["0o755", "0o751", "0o700"]
    assert identity.restore_others() == []                    # nothing recorded any more


LOAD_BY_PATH = """
    import ctypes, importlib.machinery, importlib.util, os

    def load(paths):
        found = {}
        for path, name in paths.items():
            outcome = []
            try:
                loader = importlib.machinery.ExtensionFileLoader(name, path)
                spec = importlib.util.spec_from_file_location(name, path, loader=loader)
                loader.exec_module(loader.create_module(spec))
                outcome.append("loader")
            except BaseException as error:
                pass
            try:
                ctypes.CDLL(path)
                outcome.append("ctypes")
            except OSError:
                pass
            outcome.append("exists" if os.path.exists(path) else "absent")
            found[path] = outcome
        return found
"""


@pytest.fixture
def extension_modules_outside_the_allow_list(tmp_path):
    """A real extension module (the standard library's _bisect, which needs nothing but libpython) copied where
    the grader used to leave things readable: the base interpreter's site-packages, a Debian dist-packages folder,
    an unpacked wheel under /opt and under /tmp; and the venv's own SciPy, which is installed but not allowed.
    Yields {module name: path}; everything made is removed after."""
    import glob
    import shutil
    import sysconfig
    original = glob.glob(os.path.join(sysconfig.get_paths()["stdlib"], "lib-dynload", "_bisect.*.so"))[0]
    suffix = os.path.basename(original)[len("_bisect"):]
    folders = [Path(sysconfig.get_paths(vars={"base": sys.base_prefix})["purelib"]) / "cnn_probe_base",
               Path("/usr/lib/python3/dist-packages/cnn_probe_dist"), Path("/opt/cnn_probe_wheel/_bisect_pkg"),
               tmp_path / "wheel" / "_bisect_pkg"]
    made = {}
    for folder in folders:
        folder.mkdir(parents=True, exist_ok=True)
        os.chmod(folder, 0o755)
        target = folder / f"_bisect{suffix}"
        shutil.copy(original, target)
        os.chmod(target, 0o755)
        made[str(target)] = folder
    scipy_tools = glob.glob(os.path.join(os.path.dirname(__import__("scipy").__file__), "signal", "_sigtools*.so"))
    paths = {**{path: "_bisect" for path in made}, **{path: "_sigtools" for path in scipy_tools}}
    try:
        yield paths
    finally:
        for folder in made.values():
            shutil.rmtree(folder.parent if folder.parent.name == "cnn_probe_wheel" else folder, ignore_errors=True)


def test_no_extension_module_loads_by_path_from_outside_the_allow_list(
        tmp_path, extension_modules_outside_the_allow_list):
    """Issue 20: SciPy's _sigtools loaded by file path from a base interpreter passed the stand-ins and the trap.
    Every such place is absent from the NumPy-only worker's view; the same files load in the grader (the test can
    fail)."""
    paths = extension_modules_outside_the_allow_list
    for path, name in paths.items():
        if name == "_bisect":                   # the copies are real, loadable modules
            loader = importlib.machinery.ExtensionFileLoader(f"{name}", path)
            assert loader.create_module(importlib.util.spec_from_file_location(name, path, loader=loader))
    with Worker(student(tmp_path / "s", LOAD_BY_PATH)) as worker:
        if worker.isolation["mode"] != "namespaces":
            pytest.skip("without namespaces the allow-list is made by setup.sh's permissions on Gradescope's image")
        found = worker.call("convolution", "load", {path: name for path, name in paths.items()}, timeout=30).value
    assert set(found) == set(paths)
    assert all(outcome == ["absent"] for outcome in found.values()), found


NETWORK_AND_KERNEL = """
    import ctypes, errno, os, socket
    import numpy as np

    libc = ctypes.CDLL(None, use_errno=True)

    def probe():
        refused = {}
        for name, family, kind in (("inet", socket.AF_INET, socket.SOCK_STREAM), ("inet6", socket.AF_INET6,
                                   socket.SOCK_DGRAM), ("unix", socket.AF_UNIX, socket.SOCK_STREAM),
                                   ("packet", socket.AF_PACKET, socket.SOCK_RAW), ("netlink", socket.AF_NETLINK,
                                   socket.SOCK_RAW)):
            try:
                socket.socket(family, kind).close()
                refused[name] = False
            except OSError:
                refused[name] = True
        def fails(result):
            return result == -1 and ctypes.get_errno() == errno.EPERM
        refused["unshare_user"] = fails(libc.unshare(0x10000000))
        refused["ptrace"] = fails(libc.ptrace(16, os.getppid(), 0, 0))              # PTRACE_ATTACH
        refused["io_uring_setup"] = fails(libc.syscall(425, 4, ctypes.create_string_buffer(120)))
        refused["clone3"] = libc.syscall(435, None, 0) == -1 and ctypes.get_errno() == errno.ENOSYS
        refused["mount"] = fails(libc.mount(b"none", b"/tmp", b"tmpfs", 0, None))
        refused["bpf"] = fails(libc.syscall(321, 0, None, 0))
        refused["perf_event_open"] = fails(libc.syscall(298, None, 0, -1, -1, 0))
        refused["keyctl"] = fails(libc.syscall(250, 0, 0, 0, 0, 0))
        a, b = socket.socketpair()                                                   # a connected AF_UNIX pair
        a.close(), b.close()
        pid = os.fork()                                                              # fork and threads still work
        if pid == 0:
            os._exit(7)
        refused["fork_works"] = os.waitstatus_to_exitcode(os.waitpid(pid, 0)[1]) == 7
        return refused

    def conv2d(inputs, filters, strides, padding):
        return np.einsum("hwc,hwcd->d", inputs[0, :filters.shape[0], :filters.shape[1]], filters)
"""


@pytest.mark.parametrize("modules", [("convolution",), ("convolution", "assignment")])
def test_seccomp_refuses_the_network_and_the_kernels_surfaces_while_the_work_runs(tmp_path, modules):
    """In both workers: no socket of any family, no namespace, ptrace, io_uring, mount, bpf, perf or keyring; clone3
    answers ENOSYS; fork, a socketpair, NumPy (and TensorFlow, in the model's worker) still run. The report says the
    network is blocked because the filter was seen."""
    folder = student(tmp_path / "s", NETWORK_AND_KERNEL)
    (folder / "assignment.py").write_text("import numpy as np\nimport tensorflow as tf\n\n"
                                          "def model_conv():\n    x = tf.nn.conv2d(np.ones((1, 4, 4, 1), np.float32), "
                                          "np.ones((2, 2, 1, 1), np.float32), 1, 'VALID')\n"
                                          "    return float(tf.reduce_sum(x))\n")
    with Worker(folder, modules=modules) as worker:
        refused = worker.call("convolution", "probe", timeout=60).value
        assert refused == {name: True for name in refused} and len(refused) == 14, refused
        inputs, filters = np.ones((1, 3, 3, 2)), np.ones((2, 2, 2, 3))
        assert worker.call("convolution", "conv2d", inputs, filters, 1, "VALID").value.tolist() == [8.0] * 3
        if "assignment" in modules:
            assert worker.call("assignment", "model_conv", timeout=120).value == 36.0
        assert worker.isolation["seccomp"] is True and worker.isolation["network_blocked"] is True


def test_the_permissions_allow_list_leaves_the_sandbox_only_what_is_shown():
    """Gradescope has no namespaces: setup.sh makes the allow-list with permissions (view.restrict_to_allowed).
    On a tree laid out like an image, a sandbox uid loads the extension module that is shown (through a symlink, as
    a venv's python), and neither lists the folders on the way nor loads the same module from a dist-packages
    folder, the base interpreter's site-packages or a wheel under /opt."""
    import glob
    import shutil
    import sysconfig
    import tempfile
    module = glob.glob(os.path.join(sysconfig.get_paths()["stdlib"], "lib-dynload", "_bisect.*.so"))[0]
    top = Path(tempfile.mkdtemp(prefix="image-", dir="/tmp"))
    try:
        os.chmod(top, 0o755)
        places = {"shown": top / "base" / "lib" / "_bisect.so",
                  "base_site": top / "base" / "lib" / "site-packages" / "_bisect.so",
                  "dist_packages": top / "usr" / "lib" / "python3" / "dist-packages" / "_bisect.so",
                  "opt_wheel": top / "opt" / "wheel" / "_bisect.so"}
        for path in places.values():
            path.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy(module, path)
        (top / "opt" / "venv").symlink_to("../base")
        (top / "tmp").mkdir()
        subprocess.run(["chmod", "-R", "a+rX", str(top)], check=True)
        shown = view.View(read_only=[str(top / "opt" / "venv" / "lib")], writable=[],
                          covered=[str(top / "base" / "lib" / "site-packages")], python_path=[])
        view.restrict_to_allowed(shown, top=str(top), exempt=[str(top / "tmp")])
        probe = textwrap.dedent("""
            import importlib.machinery, importlib.util, json, os, sys
            found = {}
            for name, path in json.loads(sys.argv[1]).items():
                try:
                    loader = importlib.machinery.ExtensionFileLoader("_bisect", path)
                    loader.create_module(importlib.util.spec_from_file_location("_bisect", path, loader=loader))
                    found[name] = "loaded"
                except OSError as error:
                    found[name] = type(error).__name__
                except ImportError as error:
                    found[name] = "ImportError"
            for name in ("opt", "base", "tmp"):
                try:
                    os.listdir(os.path.join(sys.argv[2], name))
                    found["list " + name] = "listed"
                except OSError as error:
                    found["list " + name] = type(error).__name__
            print(json.dumps(found))
        """)
        paths = {**{name: str(path) for name, path in places.items()},
                 "shown_through_the_link": str(top / "opt" / "venv" / "lib" / "_bisect.so")}
        uid = CONFIG.sandbox.uid_base
        result = subprocess.run(["setpriv", f"--reuid={uid}", f"--regid={uid}", "--clear-groups", sys.executable,
                                 "-I", "-c", probe, __import__("json").dumps(paths), str(top)],
                                capture_output=True, text=True, timeout=60, cwd="/")
        assert result.returncode == 0, result.stderr
        found = __import__("json").loads(result.stdout)
        assert found["shown"] == found["shown_through_the_link"] == "loaded", found
        assert all(found[name] != "loaded" for name in ("base_site", "dist_packages", "opt_wheel")), found
        assert found["list opt"] == found["list base"] == "PermissionError" and found["list tmp"] == "listed", found
    finally:
        shutil.rmtree(top)


def free_uids(count):
    """`count` consecutive uids of the configured range that no user, group or process has (the test's range)."""
    base = CONFIG.sandbox.uid_base + 1000
    while any(identity.has_name(uid) or identity.processes_of(uid) for uid in range(base, base + count)):
        base += count
    return base


def test_a_process_of_another_owner_on_a_sandbox_uid_survives_and_its_uid_is_skipped(tmp_path):
    """Issue 20: the grader killed every process of its uid, a DynamicUser service's or another container's too.
    A foreign process on one of two uids makes the sandbox take the other, and it outlives the grading; when it
    holds the only uid, the grader refuses (fails closed) and still leaves it alone."""
    base = free_uids(2)
    foreign = subprocess.Popen(["setpriv", f"--reuid={base}", f"--regid={base}", "--clear-groups", "sleep", "600"])
    try:
        deadline = time.monotonic() + 10
        while not identity.processes_of(base) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert identity.processes_of(base)
        limits = replace(CONFIG.sandbox, uid_base=base, uid_count=2)
        for _ in range(3):
            with Worker(student(tmp_path / "s", "def trivial():\n    return 1\n"), limits=limits) as worker:
                assert worker.call("convolution", "trivial").value == 1
                assert worker.isolation["uid"] == base + 1
        assert foreign.poll() is None, "the grader killed a process it did not start"
        with pytest.raises(IsolationUnavailable, match="no usable sandbox uid"):
            Sandbox.open(replace(CONFIG.sandbox, uid_base=base, uid_count=1))
        assert foreign.poll() is None
    finally:
        foreign.kill()
        foreign.wait()


TWO_GRADERS = """
import sys, time
from dataclasses import replace
sys.path.insert(0, {repository!r})
from autograder.config import CONFIG
from autograder.sandbox import Worker
limits = replace(CONFIG.sandbox, uid_base={base}, uid_count=2)
with Worker({folder!r}, limits=limits) as worker:
    print("started", worker.isolation["uid"], flush=True)
    print("slept", worker.call("convolution", "nap", {seconds}, timeout=60).value, flush=True)
"""


def test_two_graders_at_once_never_disturb_each_other(tmp_path):
    """Two graders on two uids: the first finishes and cleans up while the second's call is still running; the
    second's worker is untouched, and each took its own uid."""
    base = free_uids(2)
    folder = student(tmp_path / "s", "import time\ndef nap(seconds):\n    time.sleep(seconds)\n    return seconds\n")
    graders = [subprocess.Popen([sys.executable, "-c", TWO_GRADERS.format(repository=str(REPOSITORY), base=base,
                                                                          folder=str(folder), seconds=seconds)],
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
               for seconds in (1, 8)]
    outputs = [grader.communicate(timeout=300) for grader in graders]
    assert [grader.returncode for grader in graders] == [0, 0], [error[-2000:] for _, error in outputs]
    uids = {int(out.split()[1]) for out, _ in outputs}
    assert uids == {base, base + 1}
    assert "slept 8" in outputs[1][0]


def test_the_filter_kills_a_call_made_through_another_abi():
    """The filter is written for x86-64's system call table: a call through the x32 ABI (same numbers, another
    meaning) kills the process rather than pass unchecked; the same process could make the x86-64 call."""
    import ctypes
    import signal
    from autograder.sandbox import seccomp
    pid = os.fork()
    if pid == 0:
        try:
            seccomp.install()
            libc = ctypes.CDLL(None, use_errno=True)
            if libc.syscall(39) != os.getpid():                  # getpid, x86-64: allowed
                os._exit(3)
            libc.syscall(seccomp.X32_SYSCALL_BIT | 39)           # getpid, x32
        finally:
            os._exit(4)
    _, status = os.waitpid(pid, 0)
    assert os.WIFSIGNALED(status) and os.WTERMSIG(status) == signal.SIGSYS, status


def test_the_allow_list_is_computed_once_per_environment_and_again_after_an_install(tmp_path, monkeypatch):
    """Reading every distribution's metadata costs ~1.3 s of CPU: the result is kept in the state folder, keyed by
    the import folders' modification times, so a grading reads it, and an install (a new folder entry) recomputes."""
    site = tmp_path / "site"
    site.mkdir()
    monkeypatch.setattr(sys, "path", [str(site), *sys.path])
    computed = []

    def compute():
        computed.append(1)
        return view._distribution_folders(("numpy",))
    first = view._cached_on_disk(("numpy",), compute)
    assert view._cached_on_disk(("numpy",), compute) == first and len(computed) == 1
    assert any(Path(p).name == "numpy" for p in first[0])
    time.sleep(0.01)
    (site / "newly_installed-1.0.dist-info").mkdir()          # what pip does to the folder
    assert view._cached_on_disk(("numpy",), compute) == first and len(computed) == 2


OTHER_CONTAINER = """
import shutil, sys
from dataclasses import replace
from pathlib import Path
sys.path.insert(0, {repository!r})
from autograder.config import CONFIG
from autograder.sandbox import identity
from autograder.sandbox.isolation import IsolationUnavailable, Sandbox
identity.STATE_DIR = Path({state!r})          # a container of its own: its own /run, the same kernel
try:
    Sandbox.open(replace(CONFIG.sandbox, uid_base={base}, uid_count=1)).close()
    print("opened")
except IsolationUnavailable as error:
    print("refused", error)
finally:
    shutil.rmtree({state!r}, ignore_errors=True)
"""


def test_a_grader_that_does_not_share_our_locks_leaves_our_sandbox_alone(tmp_path):
    """Two graders in two containers on one kernel share no lock folder: the second one, offered only the uid the
    first one's live worker runs as, refuses instead of taking (and cleaning) it; the first worker lives on."""
    base = free_uids(1)
    folder = student(tmp_path / "s", "import os\ndef pid():\n    return os.getpid()\n")
    with Worker(folder, limits=replace(CONFIG.sandbox, uid_base=base, uid_count=1)) as worker:
        first = worker.call("convolution", "pid").value
        other = subprocess.run([sys.executable, "-c", OTHER_CONTAINER.format(
            repository=str(REPOSITORY), state=f"/run/cnn-autograder-test-{os.getpid()}", base=base)],
            capture_output=True, text=True, timeout=120)
        assert other.stdout.startswith("refused"), other.stdout + other.stderr
        assert worker.call("convolution", "pid").value == first and worker.restarts == 0


def test_fails_closed_when_the_filter_cannot_be_installed(monkeypatch):
    """A filter the kernel refuses (an invalid BPF instruction: seccomp() answers EINVAL) means no student code:
    the sandbox is refused before any submission is touched."""
    from autograder.sandbox import seccomp
    monkeypatch.setattr(seccomp, "program", lambda: [(0xFFFF, 0, 0, 0)])
    monkeypatch.setattr(isolation, "_FILTER_CHECKED", {})
    with pytest.raises(IsolationUnavailable, match="seccomp filter cannot be installed here .*Invalid argument"):
        Sandbox.open(CONFIG.sandbox)
