"""Run the student's code in a separate, limited process: the grader never imports, unpickles or evals it.

    with Worker(student_dir, limits=CONFIG.sandbox, modules=("convolution", "assignment")) as worker:
        reply = worker.call("convolution", "conv2d", x, k, 2, "SAME", timeout=10)
        reply.value, reply.type, reply.seconds, reply.forbidden

The worker (`worker.py`, copied to a runtime folder) imports the student's modules from a scratch copy of their
folder and answers requests over two pipes: JSON headers and `.npy` arrays, never pickle. The student's prints go to
a size-capped file. Each worker lives in a sandbox of its own (`isolation.py`): its own uid, namespaces, cgroup and
kill switch; when that cannot be had, Worker() raises IsolationUnavailable and nothing of the student runs. On a
timeout or death everything of the sandbox is killed and the next request starts a fresh worker.

Anything the student's code did wrong raises StudentError(kind, message) with a student-readable message.
"""
import fcntl
import os
import re
import resource
import secrets
import select
import shutil
import signal
import subprocess
import sys
import time
from collections import Counter
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, List, Optional

import numpy as np

from autograder.config import CONFIG, SandboxLimits
from autograder.paths import ROOT
from autograder.reference import SINGLE_THREAD_ENVIRONMENT
from autograder.sandbox import identity, protocol
from autograder.sandbox.worker import STUCK_FILE   # where a worker writes where it was stuck (its scratch)
from autograder.sandbox.isolation import UNSAFE_BANNER, IsolationUnavailable, Sandbox  # noqa: F401 (re-exported)

WORKER_SOURCE = Path(__file__).with_name("worker.py")
# what the worker imports beside it in its runtime folder
WORKER_NEIGHBOURS = tuple(Path(__file__).with_name(name) for name in ("protocol.py", "trap.py"))
# The grader's own folders hold the solution, the config (seeds) and the fixtures (hidden cases, test labels), and so
# do git's objects, the examples and catalogue, and the built Gradescope zip: the sandbox must not read them. With
# namespaces the whole checkout is covered; without, a local grader running as root removes the others'
# permissions from these folders (run_autograder does `chmod -R go-rwx` on Gradescope).
REPOSITORY = ROOT
GRADER_FOLDERS = tuple(REPOSITORY / name for name in ("autograder", "solution", ".git", "dist", "examples", "tests"))
MB = 1024 * 1024
STACK_FRAME = re.compile(r'File "(?P<file>[^"\n]+)", line (?P<line>\d+) in ')   # a line of a faulthandler dump
MAX_STUCK_CHARS = 64 * 1024
STUCK_WAIT_SECONDS = 0.5        # how long a timed-out call's dump is waited for
F_SETPIPE_SZ = getattr(fcntl, "F_SETPIPE_SZ", 1031)      # Linux; Python 3.10 has the name
POLL_SECONDS = 0.1              # how often a waiting grader checks the worker's memory and life
PASSED_ENVIRONMENT_PREFIXES = ("OPENBLAS_", "OMP_")
# What a reply may say went wrong, per request op; anything else is a malformed reply.
FAILURE_KINDS = {"start": ("import", "memory")}
MAX_NAMES = 1000                # names in a reply's forbidden or helpers field
OTHER_FAILURE_KINDS = ("exception", "memory", "protocol")
MALFORMED = "the process running your code sent the grader a malformed reply"
# What a worker's view shows of the installed packages (with what they require): NumPy and matplotlib for a
# conv2d's worker (student files and notebooks import matplotlib at the top, for plots); for the model's, TensorFlow
# and scikit-learn too (course CNN files import sklearn for a split or a metric; its bundled digits cannot score,
# since the model part relabels the classes secretly and needs the trained weights to matter: cases/model.py).
NUMPY_WORKER_LIBRARIES = ("numpy", "matplotlib")
MODEL_WORKER_LIBRARIES = ("numpy", "tensorflow", "matplotlib", "sklearn")


class StudentError(Exception):
    """Something the student's code did. kind: exception | import | timeout | memory | died | protocol."""

    def __init__(self, kind, message, module=None):
        super().__init__(f"{kind}: {message}")
        self.kind = kind
        self.message = message
        self.module = module        # for kind "import": the student's module that failed to import


@dataclass
class Reply:
    value: Any                  # np.ndarray, JSON scalar/list/dict, or None when the result cannot cross
    type: str                   # the type the student's function returned, e.g. "numpy.ndarray"
    seconds: float              # wall-clock round trip measured by the grader
    forbidden: List[str] = field(default_factory=list)   # library convolutions called inside conv2d
    helpers: List[str] = field(default_factory=list)     # TensorFlow array helpers run as NumPy ("`name` (line n)")
    changed: List[int] = field(default_factory=list)     # positions of array arguments the call changed in place


class Worker:
    """A sandboxed process that imports the student's `modules` (in order) from `student_dir` and runs calls.

    Starts lazily on the first request; after a timeout or death the next request starts a fresh one (`restarts`
    counts them). A failed import is remembered and raised again for every request.
    """

    def __init__(self, student_dir, limits: SandboxLimits = CONFIG.sandbox, modules=("convolution",), hide=(),
                 deny=(), stand_ins=None, libraries=None):
        """hide: folders the student must not see besides the grader's own (e.g. the class folder).
        deny: libraries (import names) the worker must not be able to read; stand_ins: a folder of modules put on
        the worker's path (after the student's folder), e.g. stand-ins for the denied libraries. libraries: the
        installed libraries (import names) the worker's view shows, with what they require; by default
        MODEL_WORKER_LIBRARIES for a worker that imports assignment, else NUMPY_WORKER_LIBRARIES."""
        self.student_dir = Path(student_dir)
        self.limits = limits
        self.modules = tuple(modules)
        self.restarts = 0
        # CPU seconds of the worker, measured from the grader's side: "start" (the interpreter and the student's
        # imports) and one entry per request op ("call", "model", ...). Processes the student starts are counted
        # in the grading's total (identity.tree_cpu_seconds), not here.
        self.cpu_seconds = Counter()
        self._cpu_pids = ()
        self._process = None
        self._reader = None
        self._request_fd = self._reply_fd = None
        self._next_id = 0
        self._import_failure: Optional[StudentError] = None
        self._started_once = False
        self._earlier_output = []          # bounded output of workers that were replaced
        self._output = None

        if libraries is None:
            libraries = MODEL_WORKER_LIBRARIES if self.runs_model else NUMPY_WORKER_LIBRARIES
        self._box = Sandbox.open(limits, hide=(REPOSITORY, *hide), grader_folders=GRADER_FOLDERS, deny=deny,
                                 libraries=libraries)
        self._runtime, self._scratch = self._box.runtime, self._box.scratch
        self._worker_file = self._box.add_runtime_file(WORKER_SOURCE)
        for neighbour in WORKER_NEIGHBOURS:
            self._box.add_runtime_file(neighbour)
        self._stand_ins = self._box.add_runtime_file(stand_ins) if stand_ins else None
        if self._stand_ins is not None:      # a stand-in only for a library that is installed (and denied)
            installed = {name.split(".")[0] for name in self._box.report.get("libraries_denied", [])}
            for folder in self._stand_ins.iterdir():
                if folder.is_dir() and folder.name not in installed:
                    shutil.rmtree(folder)
        self._box.fill_scratch(self.student_dir)
        self._output = open(self._box.root / "output.txt", "w+b")
        self.isolation = dict(self._box.report, limits=asdict(limits))
        self.memory_mb = Sandbox.memory_limit_mb(limits)      # the configured limit, or what the container leaves

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
        self._box.close()
        self.isolation = dict(self._box.report, limits=asdict(self.limits))

    # -- public requests -----------------------------------------------------------------------------------------
    def call(self, module, function, *args, timeout=None, kwargs=None, max_reply_bytes=None) -> Reply:
        """module.function(*args, **kwargs) in the worker; the result travels back inside the reply, so
        reply.seconds (measured here, around the whole round trip) covers everything the call did.

        With max_reply_bytes, a larger array result is not sent (reply.value is None, reply.type gives its shape).
        timeout: seconds (default limits.call_timeout_s). Raises StudentError.
        """
        if module not in self.modules:
            raise ValueError(f"module {module!r} is not one of the imported modules {self.modules}")
        arrays = []
        timeout = timeout or self.limits.call_timeout_s
        header = {"op": "call", "module": module, "function": function, "max_reply_bytes": max_reply_bytes,
                  "timeout": timeout,
                  "args": _encode_argument(list(args), arrays), "kwargs": _encode_argument(dict(kwargs or {}), arrays)}
        reply, seconds = self._request(header, arrays, timeout)
        return Reply(value=reply["value"], type=reply["type"], seconds=seconds, forbidden=reply["forbidden"],
                     helpers=reply["helpers"], changed=reply["changed"])

    def paused(self):
        """A context in which every process of this worker's sandbox is stopped (see Sandbox.paused)."""
        return self._box.paused()

    def run_model(self, num_classes, epochs, train_inputs, train_labels, test_inputs, seed=CONFIG.model.seed,
                  timeout=CONFIG.model.train_timeout_s, class_name=CONFIG.model.class_name,
                  train_function=CONFIG.model.train_function, evaluations=None, shuffle_seed=None):
        """Seed TensorFlow, build assignment.<class_name>(num_classes), train it `epochs` times with
        assignment.<train_function>(model, inputs, labels), then predict test_inputs once per evaluation.

        train_inputs [n_train, H, W, C], train_labels [n_train] or [n_train, num_classes], test_inputs [n_test, H, W, C].
        evaluations: [(weights, is_testing)] in the order they run, weights "trained" or "shuffled" (every trainable
        variable's values in a random order drawn from shuffle_seed); by default all four, in an order and with a
        seed from the operating system's secret source, so the student's code cannot tell the real one by its place.
        Returns {"losses": [float], "weights": number of trainable variables, "logits" / "logits_own" /
        "logits_shuffled" / "logits_own_shuffled": [n_test, num_classes] (those evaluated; None where the model
        raised, "logits" excepted: then a StudentError), "own_error": str or None and "own_conv_calls": calls of the
        student's conv2d (is_testing=True with the trained weights), "forbidden": [str] (library convolutions inside
        conv2d), "seconds": {"train", "predict"}}.
        """
        if "assignment" not in self.modules:
            raise ValueError("run_model needs 'assignment' among the imported modules")
        if evaluations is None:
            evaluations = [(weights, is_testing) for weights in ("trained", "shuffled") for is_testing in (False, True)]
            secrets.SystemRandom().shuffle(evaluations)
        header = {"op": "model", "num_classes": int(num_classes), "epochs": int(epochs), "seed": int(seed),
                  "class_name": str(class_name), "train_function": str(train_function),
                  "evaluations": [[str(weights), bool(is_testing)] for weights, is_testing in evaluations],
                  "shuffle_seed": int(secrets.randbits(63) if shuffle_seed is None else shuffle_seed)}
        arrays = [np.asarray(train_inputs), np.asarray(train_labels), np.asarray(test_inputs)]
        reply, _ = self._request(header, arrays, timeout)
        if not isinstance(reply["value"], dict):
            self._fail("protocol", f"{MALFORMED} (the model's result is not a dict)")
        return reply["value"]

    def output(self):
        """The student's captured stdout+stderr so far, at most about limits.output_bytes characters."""
        parts = self._earlier_output + [self._read_output()]
        return "".join(part for part in parts if part)

    # -- starting ------------------------------------------------------------------------------------------------
    def _environment(self):
        env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": str(self._scratch),
               "LANG": os.environ.get("LANG", "C.UTF-8"), "PYTHONHASHSEED": "0", "PYTHONDONTWRITEBYTECODE": "1",
               "TF_CPP_MIN_LOG_LEVEL": "2", "TF_ENABLE_ONEDNN_OPTS": "0",
               "MPLBACKEND": "Agg"}          # students' plt.show()/savefig do no harm without a screen
        env.update({key: value for key, value in os.environ.items() if key.startswith(PASSED_ENVIRONMENT_PREFIXES)})
        env.update(SINGLE_THREAD_ENVIRONMENT)  # timed like the reference (one BLAS thread); no oversubscription
        path = [str(self._stand_ins)] if self._stand_ins is not None else []
        path += self._box.python_path           # the allowed libraries, wherever they are installed
        if path:
            env["PYTHONPATH"] = os.pathsep.join(path)
        return env

    def _ensure_started(self):
        if self._import_failure is not None:
            failure = self._import_failure
            raise StudentError(failure.kind, failure.message, failure.module)
        if self._process is not None:
            return
        if self._started_once:
            self.restarts += 1
            self._earlier_output.append(self._read_output())
            self._output.seek(0)
            self._output.truncate()
        self._started_once = True

        request_read, request_write = _pipe()
        reply_read, reply_write = _pipe()
        command = [sys.executable, "-s", "-u", str(self._worker_file),
                   str(request_read), str(reply_write), *self.modules]
        try:
            self._process = subprocess.Popen(
                command, cwd=self._scratch, env=self._environment(), stdin=subprocess.DEVNULL,
                stdout=self._output, stderr=self._output, pass_fds=(request_read, reply_write),
                start_new_session=True, preexec_fn=lambda: self._box.enter(self._limit_child))
        finally:
            os.close(request_read)
            os.close(reply_write)
        self._request_fd, self._reply_fd = request_write, reply_read
        self._reader = protocol.MessageReader()
        os.set_blocking(self._request_fd, False)        # requests are written with a deadline (_write)
        self._box.started(self._process.pid)
        self.isolation.update(self._box.report)

        try:
            reply, _ = self._receive(time.monotonic() + self.limits.import_timeout_s, self.limits.import_timeout_s)
        except StudentError as error:
            kind = "memory" if error.kind == "memory" else "import"      # memory keeps its own name and flag
            self._import_failure = StudentError(kind, f"{error.message} while importing your modules")
            raise StudentError(kind, self._import_failure.message) from None
        self._cpu_pids = tuple(identity.tree(self._process.pid))   # the sandbox's first process and the worker
        self.cpu_seconds["start"] += self._worker_cpu()
        try:
            reply = decoded_reply(reply, [], "start")
        except protocol.ProtocolError as error:
            self._import_failure = StudentError("protocol", f"{MALFORMED} ({error}) while importing your modules")
            self._fail("protocol", self._import_failure.message)
        if not reply["ok"]:
            module = reply.get("module") if reply.get("module") in self.modules else None
            self._import_failure = StudentError("import", str(reply.get("message")), module)
            self._stop()
            raise StudentError("import", self._import_failure.message, module)

    def _limit_child(self):
        """In the worker between fork and exec, before it drops to the sandbox identity: resource limits."""
        limits = self.limits
        # RLIMIT_DATA refuses a runaway allocation at once, where the memory poll (the only guard when no cgroup can
        # be made, as on Gradescope) acts every 0.1 s: a conv2d's worker gets the container's share (memory_mb). The
        # model's worker keeps the configured limit: TensorFlow maps more virtual data than it touches (~480 MB for
        # the reference CNN), and the cgroup or the poll holds its resident memory to that share.
        data_mb = limits.memory_mb if self.runs_model else min(limits.memory_mb, self.memory_mb)
        resource.setrlimit(resource.RLIMIT_DATA, (data_mb * MB,) * 2)
        resource.setrlimit(resource.RLIMIT_CPU, (limits.cpu_s, limits.cpu_s + 5))
        resource.setrlimit(resource.RLIMIT_FSIZE, (limits.file_size_mb * MB,) * 2)
        resource.setrlimit(resource.RLIMIT_CORE, (0, 0))

    # -- one request ---------------------------------------------------------------------------------------------
    def _request(self, header, arrays, timeout):
        """Send one request and return (its reply header, with "value" decoded, seconds). Every field the grader
        reads has been checked: whatever else the worker sends is the student's protocol fault (StudentError)."""
        self._ensure_started()
        self._next_id += 1
        header = dict(header, id=self._next_id)
        message = protocol.encode_message(header, arrays)
        cpu_before = self._worker_cpu()
        started = time.perf_counter()
        deadline = time.monotonic() + timeout
        self._write(message, deadline, timeout)
        reply, reply_arrays = self._receive(deadline, timeout)
        seconds = time.perf_counter() - started
        self.cpu_seconds[str(header.get("op"))] += max(0.0, self._worker_cpu() - cpu_before)
        if reply.get("id") != self._next_id:
            self._fail("protocol", "the worker answered out of turn")
        try:
            reply = decoded_reply(reply, reply_arrays, header["op"])
        except protocol.ProtocolError as error:
            self._fail("protocol", f"{MALFORMED} ({error})")
        self._check_output_size()
        if not reply["ok"]:
            kind = reply["kind"]
            if kind == "memory":
                raise StudentError("memory", f"{self._memory_words()}\n{reply['message']}")
            raise StudentError(kind, reply["message"])
        return reply, seconds

    def _write(self, message, deadline, timeout):
        """Send a request; a worker that stops reading it cannot hold the grader past the call's deadline."""
        view = memoryview(message)
        while view:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                self._fail("timeout", f"timed out after {timeout:g} s")
            _, writable, _ = select.select([], [self._request_fd], [], min(POLL_SECONDS, remaining))
            if writable:
                try:
                    view = view[os.write(self._request_fd, view):]
                except BlockingIOError:
                    continue
                except OSError:           # the worker closed its end: it died, which _receive reports
                    return
            elif self._process.poll() is not None:
                return

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
                self._fail("timeout", f"timed out after {timeout:g} s{self._where_stuck()}")
            ready, _, _ = select.select([self._reply_fd], [], [], min(POLL_SECONDS, remaining))
            if ready:
                data = os.read(self._reply_fd, 1 << 20)
                if data:
                    try:
                        self._reader.feed(data)
                    except protocol.ProtocolError as error:
                        self._fail("protocol", f"the worker's reply was garbled ({error})")
                    continue
                self._process.wait()        # end of file: the worker is gone
            if self._box.memory_killed() or self._box.memory_bytes(self._process.pid) > self.memory_mb * MB:
                self._fail("memory", f"killed: {self._memory_words()}")
            if self._process.poll() is not None:
                self._fail("died", self._death_message(self._process.returncode))
            self._check_output_size()

    def _memory_words(self):
        return (f"used more than the {self.memory_mb} MB of memory your code may use; look for arrays much larger "
                "than the data (e.g. a copy per output pixel) or for data kept across calls")

    def _death_message(self, returncode):
        if self._output_size() >= self.limits.file_size_mb * MB:
            return f"wrote more than {self.limits.file_size_mb} MB of output"
        if returncode is not None and returncode > 128:      # the sandbox's waiter reports a signal as 128 + n
            returncode = 128 - returncode
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

    def _where_stuck(self):
        """", stopped in convolution.py, line 23 (`code`)" from the dump the worker wrote just before the deadline
        (worker.STUCK_FILE), or "". The student's own process wrote it: it is feedback, never a score."""
        dump, waited = "", time.monotonic() + STUCK_WAIT_SECONDS
        while not STACK_FRAME.search(dump) and time.monotonic() < waited:   # a loaded machine may write it late
            try:
                dump = (self._scratch / STUCK_FILE).read_text(errors="replace")[:MAX_STUCK_CHARS]
            except OSError:
                pass
            if not STACK_FRAME.search(dump):
                time.sleep(0.05)
        files = {f"{module}.py" for module in self.modules}
        for match in STACK_FRAME.finditer(dump):
            name = match["file"].rsplit("/", 1)[-1]
            if name in files:
                line = int(match["line"])
                try:
                    code = (self.student_dir / name).read_text(errors="replace").splitlines()[line - 1].strip()
                except (OSError, IndexError):
                    code = ""
                return f", stopped in {name}, line {line}" + (f" (`{code[:80]}`)" if code else "")
        return ""

    def _fail(self, kind, message):
        self._stop()
        raise StudentError(kind, message)

    # -- stopping ------------------------------------------------------------------------------------------------
    @property
    def runs_model(self):
        """The model's worker (it imports assignment, and so TensorFlow), not a conv2d's."""
        return "assignment" in self.modules

    def _worker_cpu(self):
        return sum(identity.process_cpu_seconds(pid) for pid in self._cpu_pids) if self._process is not None else 0.0

    def _stop(self):
        """Kill the worker and everything of its sandbox: its session, its cgroup, its uid (and with them its PID
        namespace)."""
        process, self._process = self._process, None
        self._cpu_pids = ()
        for fd in (self._request_fd, self._reply_fd):
            if fd is not None:
                os.close(fd)
        self._request_fd = self._reply_fd = None
        if process is None:
            return
        identity.retire(process.pid)
        try:
            os.killpg(process.pid, signal.SIGKILL)
        except OSError:
            pass
        self._box.kill_all()
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

def _pipe():
    """os.pipe() with a 1 MB buffer where the kernel allows it: an array crosses in a few reads instead of one per
    64 KB (the performance layer's 1.6 MB answers took ~25 select/read rounds each)."""
    read_end, write_end = os.pipe()
    try:
        fcntl.fcntl(write_end, F_SETPIPE_SZ, 1 << 20)
    except OSError:
        pass                          # above /proc/sys/fs/pipe-max-size for this user: the default works too
    return read_end, write_end


def decoded_reply(reply, reply_arrays, op):
    """A reply header to `op` ("start": the import's) as the grader uses it, "value" decoded; ProtocolError (what is
    wrong) when a field the grader reads is missing or of the wrong type, or the value does not decode."""
    problem = _reply_problem(reply, op)
    if problem:
        raise protocol.ProtocolError(problem)
    if reply["ok"]:
        reply["value"] = protocol.decode_value(reply.get("value"), reply_arrays)
    return reply


def _reply_problem(reply, op):
    """What is wrong with a reply header to `op` ("start" for the import's), or "" when every field the grader
    reads is there with its type. The worker's process is the student's: it may send anything the reader lets by."""
    if type(reply.get("ok")) is not bool:
        return "no ok field"
    if not reply["ok"]:
        if reply.get("kind") not in FAILURE_KINDS.get(op, OTHER_FAILURE_KINDS):
            return "an unknown kind of failure"
        if type(reply.get("message")) is not str:
            return "a failure without a message"
        if "module" in reply and reply["module"] is not None and type(reply["module"]) is not str:
            return "a module that is not a name"
        return ""
    if op == "call":
        if type(reply.get("type")) is not str:
            return "no type of the result"
        for field in ("forbidden", "helpers"):     # "`name` (line n)" each
            names = reply.get(field)
            if type(names) is not list or len(names) > MAX_NAMES or not all(type(item) is str for item in names):
                return f"the {field} field is not a list of names"
        changed = reply.get("changed")
        if type(changed) is not list or not all(type(item) is int for item in changed):
            return "the changed arguments are not a list of positions"
    return ""


def _encode_argument(value, arrays):
    """Grader-side arguments -> tagged JSON."""
    if isinstance(value, (list, tuple)):
        return [_encode_argument(item, arrays) for item in value]
    if isinstance(value, dict):
        return {"__dict__": {str(key): _encode_argument(item, arrays) for key, item in value.items()}}
    try:
        return protocol.encode_value(value, arrays)
    except protocol.CannotCross as error:
        raise ValueError(f"cannot send {error} to the sandbox") from None
