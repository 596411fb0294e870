"""Run the student's code in a separate, limited process: the grader never imports, unpickles or evals it.

    with Worker(student_dir, limits=CONFIG.sandbox, modules=("convolution", "assignment")) as worker:
        reply = worker.call("convolution", "conv2d", x, k, 2, "SAME", timeout=10)
        reply.value, reply.type, reply.seconds, reply.forbidden

The worker (`worker.py`, copied to a runtime folder) imports the student's modules from a scratch copy of their
folder and answers requests over two pipes: JSON headers and `.npy` arrays, never pickle. The student's prints go to
a size-capped file. When the grader runs as root the worker runs as the unprivileged user `cnnstudent` with no
supplementary groups, in its own network namespace; in every case it has resource limits, its memory is polled,
and on a timeout or death its whole process tree is killed and the next request starts a fresh worker.

Anything the student's code did wrong raises StudentError(kind, message) with a student-readable message.
"""
import ctypes
import ctypes.util
import os
import pwd
import resource
import select
import shutil
import signal
import site
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, List, Optional

import numpy as np

from autograder.config import CONFIG, SandboxLimits
from autograder.sandbox import worker as protocol

WORKER_SOURCE = Path(protocol.__file__)
# The grader's own folders hold the solution, the config (seeds) and the fixtures (hidden cases, test labels), and so
# do git's objects and the built Gradescope zip: the sandbox user must not read them. run_autograder does
# `chmod -R go-rwx` on Gradescope; a local grader running as root removes the others' permissions from these folders
# before the first worker starts.
REPOSITORY = WORKER_SOURCE.parent.parent.parent
GRADER_FOLDERS = tuple(REPOSITORY / name for name in ("autograder", "solution", ".git", "dist"))
SANDBOX_USER = "cnnstudent"
MB = 1024 * 1024
POLL_SECONDS = 0.1              # how often a waiting grader checks the worker's memory and life
CLONE_NEWNET = 0x40000000
PASSED_ENVIRONMENT_PREFIXES = ("OPENBLAS_", "OMP_")


class StudentError(Exception):
    """Something the student's code did. kind: exception | import | timeout | memory | died | protocol."""

    def __init__(self, kind, message):
        super().__init__(f"{kind}: {message}")
        self.kind = kind
        self.message = message


@dataclass
class Reply:
    value: Any                  # np.ndarray, JSON scalar/list/dict, or None when the result cannot cross
    type: str                   # the type the student's function returned, e.g. "numpy.ndarray"
    seconds: float              # wall-clock round trip measured by the grader
    forbidden: List[str] = field(default_factory=list)   # library convolutions called inside conv2d


@dataclass(frozen=True)
class Stashed:
    """Refers to an array kept in the worker (see Worker.put and call(store_as=...))."""
    name: str


class Worker:
    """A sandboxed process that imports the student's `modules` (in order) from `student_dir` and runs calls.

    Starts lazily on the first request; after a timeout or death the next request starts a fresh one (`restarts`
    counts them, and stashed arrays are lost). A failed import is remembered and raised again for every request.
    """

    def __init__(self, student_dir, limits: SandboxLimits = CONFIG.sandbox, modules=("convolution",),
                 sandbox_user: str = SANDBOX_USER):
        self.student_dir = Path(student_dir)
        self.limits = limits
        self.modules = tuple(modules)
        self.restarts = 0
        self._process = None
        self._reader = None
        self._request_fd = self._reply_fd = None
        self._next_id = 0
        self._import_failure: Optional[StudentError] = None
        self._started_once = False
        self._earlier_output = []          # bounded output of workers that were replaced

        self._root = Path(tempfile.mkdtemp(prefix="cnn-sandbox-"))
        self._runtime = self._root / "runtime"
        self._scratch = self._root / "scratch"
        self._runtime.mkdir()
        shutil.copy2(WORKER_SOURCE, self._runtime / "worker.py")
        shutil.copytree(self.student_dir, self._scratch, ignore=shutil.ignore_patterns("__pycache__"))
        self._output = open(self._root / "output.txt", "w+b")

        self._uid = self._gid = None
        self._python, self._python_path = sys.executable, None
        self.isolation = {"user": None, "network_blocked": False, "limits": asdict(limits), "note": ""}
        if os.geteuid() == 0:
            self._become_sandbox_user(sandbox_user)
        else:
            self.isolation["note"] = "the grader is not root: the worker runs as the grader's own user"

    # -- context manager -----------------------------------------------------------------------------------------
    def __enter__(self):
        return self

    def __exit__(self, *exc_info):
        self.close()

    def close(self):
        """Kill the worker's whole process tree and delete its folders."""
        self._stop()
        if self._output is not None:
            self._output.close()
            self._output = None
        shutil.rmtree(self._root, ignore_errors=True)

    # -- public requests -----------------------------------------------------------------------------------------
    def call(self, module, function, *args, store_as=None, timeout=None, kwargs=None,
             max_reply_bytes=None) -> Reply:
        """module.function(*args, **kwargs) in the worker. Stashed(name) arguments refer to arrays in the worker.

        With store_as, the result stays in the worker under that name (reply.value is None; fetch it later).
        With max_reply_bytes, a larger array result is not sent (reply.value is None, reply.type gives its shape).
        timeout: seconds (default limits.call_timeout_s). Raises StudentError.
        """
        if module not in self.modules:
            raise ValueError(f"module {module!r} is not one of the imported modules {self.modules}")
        arrays = []
        header = {"op": "call", "module": module, "function": function, "store_as": store_as,
                  "max_reply_bytes": max_reply_bytes,
                  "args": _encode_argument(list(args), arrays), "kwargs": _encode_argument(dict(kwargs or {}), arrays)}
        reply, reply_arrays, seconds = self._request(header, arrays, timeout or self.limits.call_timeout_s)
        value = protocol.decode_value(reply.get("value"), reply_arrays)
        return Reply(value=value, type=str(reply.get("type")), seconds=seconds,
                     forbidden=[str(item) for item in reply.get("forbidden", [])])

    def put(self, name, array):
        """Keep an array in the worker as `name` (untimed transfer). Raises ValueError for object arrays."""
        array = np.asarray(array)
        if array.dtype.kind in protocol.REFUSED_DTYPE_KINDS:
            raise ValueError(f"arrays of dtype {array.dtype} cannot cross the sandbox boundary")
        self._request({"op": "put", "name": name, "value": {"__array__": 0}}, [array], self.limits.call_timeout_s)

    def fetch(self, name):
        """The value stashed in the worker as `name` (usually an np.ndarray). Raises KeyError if there is none."""
        reply, arrays, _ = self._request({"op": "fetch", "name": name}, [], self.limits.call_timeout_s)
        return protocol.decode_value(reply["value"], arrays)

    def run_model(self, num_classes, epochs, train_inputs, train_labels, test_inputs, seed=CONFIG.model.seed,
                  timeout=CONFIG.model.train_timeout_s):
        """Seed TensorFlow, build assignment.CNN(num_classes), train it `epochs` times, predict test_inputs both ways.

        train_inputs [n_train, H, W, C], train_labels [n_train] or [n_train, num_classes], test_inputs [n_test, H, W, C].
        Returns {"losses": [float], "logits": [n_test, num_classes], "logits_own": array or None,
        "own_error": str or None, "forbidden": [str] (during is_testing=True), "seconds": {"train", "predict"}}.
        """
        if "assignment" not in self.modules:
            raise ValueError("run_model needs 'assignment' among the imported modules")
        header = {"op": "model", "num_classes": int(num_classes), "epochs": int(epochs), "seed": int(seed)}
        arrays = [np.asarray(train_inputs), np.asarray(train_labels), np.asarray(test_inputs)]
        reply, reply_arrays, _ = self._request(header, arrays, timeout)
        result = protocol.decode_value(reply["value"], reply_arrays)
        if not isinstance(result, dict):
            raise StudentError("protocol", "the worker sent a malformed model result")
        return result

    def output(self):
        """The student's captured stdout+stderr so far, at most about limits.output_bytes characters."""
        parts = self._earlier_output + [self._read_output()]
        return "".join(part for part in parts if part)

    # -- starting ------------------------------------------------------------------------------------------------
    def _become_sandbox_user(self, user):
        """Create the sandbox user if needed, hand it the scratch folder, check it can run our Python."""
        try:
            entry = _ensure_user(user)
        except (OSError, subprocess.SubprocessError, KeyError) as error:
            self.isolation["note"] = f"could not create user {user} ({error}): the worker runs as root"
            return
        _hide_from_others(GRADER_FOLDERS)
        self.isolation["grader_files_hidden"] = True
        os.chmod(self._root, 0o711)            # traversable, not listable: the output file stays unreadable
        for folder, _, files in os.walk(self._runtime):
            os.chmod(folder, 0o755)
            for name in files:
                os.chmod(os.path.join(folder, name), 0o644)
        for folder, _, files in os.walk(self._scratch):
            os.chown(folder, entry.pw_uid, entry.pw_gid)
            for name in files:
                os.chown(os.path.join(folder, name), entry.pw_uid, entry.pw_gid)
        problems = []
        for python, python_path in _interpreters():
            problem = _python_unusable_by(entry.pw_uid, entry.pw_gid, python, python_path,
                                          self._runtime / "worker.py", self._scratch)
            if problem is None:
                break
            problems.append(f"{python}: {problem}")
        else:
            self.isolation["note"] = f"user {user} cannot run Python with NumPy ({'; '.join(problems)}): " \
                                     "the worker runs as root"
            return
        if python != sys.executable:
            self.isolation["note"] = f"user {user} cannot run {sys.executable}; it runs {python} with the " \
                                     "grader's site-packages"
        self._python, self._python_path = python, python_path
        self._uid, self._gid = entry.pw_uid, entry.pw_gid
        self.isolation["user"] = user

    def _environment(self):
        env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": str(self._scratch),
               "LANG": os.environ.get("LANG", "C.UTF-8"), "PYTHONHASHSEED": "0", "PYTHONDONTWRITEBYTECODE": "1",
               "TF_CPP_MIN_LOG_LEVEL": "2", "TF_ENABLE_ONEDNN_OPTS": "0"}
        env.update({key: value for key, value in os.environ.items() if key.startswith(PASSED_ENVIRONMENT_PREFIXES)})
        if self._python_path:
            env["PYTHONPATH"] = self._python_path
        return env

    def _ensure_started(self):
        if self._import_failure is not None:
            raise StudentError(self._import_failure.kind, self._import_failure.message)
        if self._process is not None:
            return
        if self._started_once:
            self.restarts += 1
            self._earlier_output.append(self._read_output())
            self._output.seek(0)
            self._output.truncate()
        self._started_once = True

        # RLIMIT_NPROC counts all of a user's threads: a grader that is not root shares its user with the worker,
        # so leave room for what that user already runs.
        self._process_limit = self.limits.processes + (0 if os.geteuid() == 0 else _threads_of_user(os.getuid()))
        request_read, request_write = os.pipe()
        reply_read, reply_write = os.pipe()
        command = [self._python, "-s", "-u", str(self._runtime / "worker.py"),
                   str(request_read), str(reply_write), *self.modules]
        try:
            self._process = subprocess.Popen(
                command, cwd=self._scratch, env=self._environment(), stdin=subprocess.DEVNULL,
                stdout=self._output, stderr=self._output, pass_fds=(request_read, reply_write),
                start_new_session=True, preexec_fn=self._limit_child)
        finally:
            os.close(request_read)
            os.close(reply_write)
        self._request_fd, self._reply_fd = request_write, reply_read
        self._reader = protocol.MessageReader()
        self.isolation["network_blocked"] = _network_namespace(self._process.pid) != _network_namespace("self")

        try:
            reply, _ = self._receive(time.monotonic() + self.limits.import_timeout_s, self.limits.import_timeout_s)
        except StudentError as error:
            self._import_failure = StudentError("import", f"{error.message} while importing your modules")
            raise StudentError("import", self._import_failure.message) from None
        if not reply.get("ok"):
            self._import_failure = StudentError("import", str(reply.get("message")))
            self._stop()
            raise StudentError("import", self._import_failure.message)

    def _limit_child(self):
        """Runs in the child between fork and exec: limits, network namespace, then drop to the sandbox user.

        The user is dropped here rather than with Popen(user=...) because Popen switches user before preexec_fn,
        and an unprivileged process may not unshare its network namespace.
        """
        limits = self.limits
        resource.setrlimit(resource.RLIMIT_DATA, (limits.memory_mb * MB,) * 2)
        resource.setrlimit(resource.RLIMIT_CPU, (limits.cpu_s, limits.cpu_s + 5))
        resource.setrlimit(resource.RLIMIT_FSIZE, (limits.file_size_mb * MB,) * 2)
        resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
        if os.geteuid() == 0:
            if _LIBC is not None:
                _LIBC.unshare(CLONE_NEWNET)        # EPERM is tolerated; the grader compares namespaces afterwards
            if self._uid is not None:
                resource.setrlimit(resource.RLIMIT_NPROC, (limits.processes,) * 2)
                os.setgroups([])
                os.setgid(self._gid)
                os.setuid(self._uid)
        else:
            resource.setrlimit(resource.RLIMIT_NPROC, (self._process_limit,) * 2)

    # -- one request ---------------------------------------------------------------------------------------------
    def _request(self, header, arrays, timeout):
        self._ensure_started()
        self._next_id += 1
        header = dict(header, id=self._next_id)
        message = protocol.encode_message(header, arrays)
        started = time.perf_counter()
        deadline = time.monotonic() + timeout
        try:
            protocol.write_all(self._request_fd, message)
        except OSError:                   # the worker closed its end: it died
            pass
        reply, reply_arrays = self._receive(deadline, timeout)
        seconds = time.perf_counter() - started
        if reply.get("id") != self._next_id:
            self._fail("protocol", "the worker answered out of turn")
        self._check_output_size()
        if not reply.get("ok"):
            kind = reply.get("kind")
            if kind == "missing":
                raise KeyError(reply.get("message"))
            if kind == "memory":
                raise StudentError("memory", f"exceeded {self.limits.memory_mb} MB memory\n{reply.get('message')}")
            raise StudentError(str(kind if kind in ("exception", "protocol") else "exception"),
                               str(reply.get("message")))
        return reply, reply_arrays, seconds

    def _receive(self, deadline, timeout):
        """The next message from the worker, or StudentError (timeout, memory, died, protocol) after killing it."""
        while True:
            try:
                message = self._reader.take()
            except protocol.ProtocolError as error:
                self._fail("protocol", f"the worker's reply was garbled ({error})")
            if message is not None:
                return message
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                self._fail("timeout", f"timed out after {timeout:g} s")
            ready, _, _ = select.select([self._reply_fd], [], [], min(POLL_SECONDS, remaining))
            if ready:
                data = os.read(self._reply_fd, 1 << 20)
                if data:
                    self._reader.feed(data)
                    continue
                self._process.wait()        # end of file: the worker is gone
            if self._process.poll() is not None:
                self._fail("died", self._death_message(self._process.returncode))
            if _tree_rss_bytes(self._process.pid) > self.limits.memory_mb * MB:
                self._fail("memory", f"killed: exceeded {self.limits.memory_mb} MB memory")
            self._check_output_size()

    def _death_message(self, returncode):
        if self._output_size() >= self.limits.file_size_mb * MB:
            return f"wrote more than {self.limits.file_size_mb} MB of output"
        if returncode is not None and returncode < 0:
            number = -returncode
            name = signal.Signals(number).name if number in signal.Signals._value2member_map_ else "?"
            message = f"killed by signal {number} ({name})"
            if number == signal.SIGXCPU:
                message += f": used more than {self.limits.cpu_s} CPU seconds"
            return message
        return f"exited with status {returncode}"

    def _check_output_size(self):
        if self._output_size() >= self.limits.file_size_mb * MB:
            self._fail("died", f"wrote more than {self.limits.file_size_mb} MB of output")

    def _fail(self, kind, message):
        self._stop()
        raise StudentError(kind, message)

    # -- stopping ------------------------------------------------------------------------------------------------
    def _stop(self):
        """Kill the worker, everything it started, and (as the sandbox user) anything that escaped its session."""
        process, self._process = self._process, None
        for fd in (self._request_fd, self._reply_fd):
            if fd is not None:
                os.close(fd)
        self._request_fd = self._reply_fd = None
        if process is None:
            return
        _kill_session(process.pid)
        if self._uid is not None:
            _kill_leftovers_of(self._uid, self._gid, process.pid)
        process.wait()

    # -- output --------------------------------------------------------------------------------------------------
    def _output_size(self):
        return os.fstat(self._output.fileno()).st_size if self._output is not None else 0

    def _read_output(self):
        """Head and tail of the current output file, at most about limits.output_bytes in total."""
        size, keep = self._output_size(), self.limits.output_bytes
        if size == 0:
            return ""
        fd = self._output.fileno()
        if size <= keep:
            data = os.pread(fd, size, 0)
        else:
            head, tail = os.pread(fd, keep // 2, 0), os.pread(fd, keep // 2, size - keep // 2)
            data = head + f"\n... [{size - 2 * (keep // 2)} bytes of output cut] ...\n".encode() + tail
        return data.decode("utf-8", errors="replace")


# -----------------------------------------------------------------------------------------------------------------
# Helpers
# -----------------------------------------------------------------------------------------------------------------

_LIBC = ctypes.CDLL(ctypes.util.find_library("c"), use_errno=True) if ctypes.util.find_library("c") else None
_PYTHON_CHECKED = {}


def _encode_argument(value, arrays):
    """Grader-side arguments -> tagged JSON; Stashed(name) becomes a reference to the worker's stash."""
    if isinstance(value, Stashed):
        return {"__stashed__": value.name}
    if isinstance(value, (list, tuple)):
        return [_encode_argument(item, arrays) for item in value]
    if isinstance(value, dict):
        return {"__dict__": {str(key): _encode_argument(item, arrays) for key, item in value.items()}}
    try:
        return protocol.encode_value(value, arrays)
    except protocol.CannotCross as error:
        raise ValueError(f"cannot send {error} to the sandbox") from None


def _hide_from_others(folders):
    """Remove the permissions of "others" (the sandbox user) from each existing folder; their contents are then
    unreachable whatever their own modes are."""
    for folder in folders:
        try:
            mode = os.stat(folder).st_mode
            if mode & 0o007:
                os.chmod(folder, mode & ~0o007)
        except FileNotFoundError:
            pass


def _ensure_user(name):
    try:
        return pwd.getpwnam(name)
    except KeyError:
        subprocess.run(["useradd", "--system", "--no-create-home", "--shell", "/usr/sbin/nologin", name],
                       check=False, capture_output=True, timeout=30)
        return pwd.getpwnam(name)           # another grader may have created it meanwhile; KeyError if neither


def _interpreters():
    """(python, PYTHONPATH or None) the sandbox user might run: ours, else the same X.Y version on PATH with our
    site-packages (a venv whose base interpreter lives in a private home, e.g. pyenv under /root)."""
    yield sys.executable, None
    name = f"python{sys.version_info.major}.{sys.version_info.minor}"
    seen = {os.path.realpath(sys.executable)}
    for folder in os.get_exec_path() + ["/usr/local/bin", "/usr/bin"]:
        candidate = os.path.join(folder, name)
        if os.path.realpath(candidate) not in seen and os.access(candidate, os.X_OK):
            seen.add(os.path.realpath(candidate))
            yield candidate, os.pathsep.join(site.getsitepackages())


def _python_unusable_by(uid, gid, python, python_path, worker_file, scratch):
    """None if the user can run python with NumPy, read worker.py and write the scratch folder; else why not."""
    key = (uid, python, python_path)
    if key not in _PYTHON_CHECKED:
        def become_user():
            os.setgroups([])
            os.setgid(gid)
            os.setuid(uid)
        probe = ("import sys, os, numpy; open(sys.argv[1]).close(); "
                 "open(os.path.join(sys.argv[2], '.probe'), 'w').close(); os.remove(os.path.join(sys.argv[2], '.probe'))")
        env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin")}
        if python_path:
            env["PYTHONPATH"] = python_path
        try:
            # A session of its own: parallel graders take it for a live worker, not a leftover to kill.
            result = subprocess.run([python, "-s", "-c", probe, str(worker_file), str(scratch)], start_new_session=True,
                                    cwd=scratch, preexec_fn=become_user, capture_output=True, timeout=60, env=env)
            problem = None if result.returncode == 0 else result.stderr.decode(errors="replace").strip()[-300:]
        except (OSError, subprocess.SubprocessError) as error:
            problem = str(error)
        _PYTHON_CHECKED[key] = problem
    return _PYTHON_CHECKED[key]


def _network_namespace(pid):
    try:
        return os.readlink(f"/proc/{pid}/ns/net")
    except OSError:
        return None


def _children(pid):
    try:
        with open(f"/proc/{pid}/task/{pid}/children") as file:
            return [int(child) for child in file.read().split()]
    except (OSError, ValueError):
        return []


def _tree_rss_bytes(pid, depth=0):
    """Resident memory of a process and its descendants (bytes; 0 for processes that are gone)."""
    try:
        with open(f"/proc/{pid}/statm") as file:
            rss = int(file.read().split()[1]) * resource.getpagesize()
    except (OSError, ValueError, IndexError):
        return 0
    if depth < 8:
        rss += sum(_tree_rss_bytes(child, depth + 1) for child in _children(pid))
    return rss


def _processes():
    """(pid, parent pid, session id, uid) of every process we can see."""
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as file:
                fields = file.read().rsplit(")", 1)[1].split()
            yield int(entry), int(fields[1]), int(fields[3]), os.stat(f"/proc/{entry}").st_uid
        except (OSError, ValueError, IndexError):
            continue


def _kill_session(session_id):
    """SIGKILL the process group and every process still in the session (double-forked children included)."""
    try:
        os.killpg(session_id, signal.SIGKILL)
    except OSError:
        pass
    for pid, _, session, _ in _processes():
        if session == session_id:
            try:
                os.kill(pid, signal.SIGKILL)
            except OSError:
                pass


def _kill_leftovers_of(uid, gid, own_session):
    """SIGKILL the sandbox user's processes that escaped the worker's session, sparing other live workers.

    Other graders running in parallel (make grade --jobs) use the same user; their workers are session leaders
    whose parent is a live grader (not the user, not init). Everything else of the user is a leftover. No kill(-1)
    as the user: another grader's worker that starts between our look and the kill would die during its import.
    Processes forked while we look are caught by the next round.
    """
    killed = set()
    for _ in range(10):
        table = {pid: (parent, session, owner) for pid, parent, session, owner in _processes()}
        live_workers = {pid for pid, (parent, session, owner) in table.items()
                        if owner == uid and session == pid and pid != own_session and parent > 1
                        and parent in table and table[parent][2] != uid}
        leftovers = [pid for pid, (_, session, owner) in table.items()
                     if owner == uid and session not in live_workers and pid != own_session and _alive(pid)]
        if not leftovers:
            break
        for pid in leftovers:
            try:
                os.kill(pid, signal.SIGKILL)
            except OSError:
                pass
        killed.update(leftovers)
    _wait_until_gone(killed)


def _wait_until_gone(pids, seconds=2.0):
    """Wait (bounded) until killed processes have died: until then they still count against the sandbox user's
    process limit, and the next submission's worker could fail to start its threads. Zombies are left to init."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline and any(_alive(pid) for pid in pids):
        time.sleep(0.05)


def _alive(pid):
    try:
        with open(f"/proc/{pid}/stat") as file:
            return file.read().rsplit(")", 1)[1].split()[0] != "Z"
    except (OSError, IndexError):
        return False


def _threads_of_user(uid):
    count = 0
    for pid, _, _, owner in _processes():
        if owner == uid:
            try:
                count += len(os.listdir(f"/proc/{pid}/task"))
            except OSError:
                pass
    return count
