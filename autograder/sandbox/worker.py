"""The sandbox worker: runs INSIDE the sandbox, imports the student's modules and answers the grader's requests.

Standalone on purpose (stdlib + NumPy, and its two neighbours protocol.py and trap.py): the grader copies the three
files into a runtime folder the sandbox can read and starts it as

    python -s -u worker.py <request_fd> <reply_fd> <module> [<module> ...]

with the current directory set to a scratch copy of the student's files. The student's prints go to stdout/stderr,
which the grader pointed at a capped file; the protocol (protocol.py) uses only the two pipe descriptors given on
the command line.
"""
import faulthandler
import importlib.machinery
import os
import re
import sys
import time
import traceback

import numpy as np

try:                                      # in the grader's package (tests, the grader's own imports)
    from autograder.sandbox.protocol import (MessageReader, decode_value, encode_message, encode_value,
                                             is_tensorflow_tensor, type_name, write_all)
    from autograder.sandbox.trap import TRAP, WATCHED_FUNCTIONS, ArmOnImport
except ImportError:                       # in the sandbox: the copies beside this file
    from protocol import (MessageReader, decode_value, encode_message, encode_value, is_tensorflow_tensor,
                          type_name, write_all)
    from trap import TRAP, WATCHED_FUNCTIONS, ArmOnImport


# ---------------------------------------------------------------------------------------------------------------
# The worker's request loop
# ---------------------------------------------------------------------------------------------------------------

MAX_MESSAGE_CHARS = 4000
STUCK_FILE = ".where-it-was-stuck.txt"    # in the working directory (see Server.watch_for_a_hang)
MAX_CHAIN = 16
ANSI_ESCAPE = re.compile(r"\x1b(?:\[[0-9;?]*[ -/]*[@-~]|\][^\x07\x1b]*(?:\x07|\x1b\\)|[@-Z\\-_])")


def _exception_text(error):
    """'ValueError: message' on one line, without ANSI escape codes (Keras makes its messages bold)."""
    try:
        message = str(error)
    except Exception:
        message = "<message could not be printed>"
    message = " ".join(ANSI_ESCAPE.sub("", message).split())
    if len(message) > MAX_MESSAGE_CHARS:
        message = message[:MAX_MESSAGE_CHARS] + " ..."
    return f"{type(error).__name__}: {message}" if message else type(error).__name__


def _cause_chain(error):
    """error and what caused it, outermost first: __cause__, else __context__. A suppressed context (`raise ... from
    None`) is followed only when the outer exception repeats its message: a wrapper such as Keras' "Exception
    encountered when calling Layer.call()", not a student's own message."""
    chain = [error]
    while len(chain) < MAX_CHAIN:
        current = chain[-1]
        inner = current.__cause__
        if inner is None and current.__context__ is not None:
            inner = current.__context__
            if current.__suppress_context__:
                try:
                    repeated = str(inner) and str(inner) in str(current)
                except Exception:
                    repeated = False
                inner = inner if repeated else None
        if inner is None or any(inner is seen for seen in chain):
            break
        chain.append(inner)
    return chain


def student_error_text(error):
    """The root cause as 'ValueError: message' (one line, no ANSI codes), then the traceback frames of the root cause
    that lie in the student's own files (relative names), the innermost last; then '(then: ...)' when the student's
    code raised another error about it."""
    chain = _cause_chain(error)
    root = chain[-1]
    lines = [_exception_text(root)]
    scratch = os.path.realpath(os.getcwd()) + os.sep
    for candidate in reversed(chain):       # the root's frames; if it has none in the student's files, the next one's
        frames = [frame for frame in traceback.extract_tb(candidate.__traceback__)
                  if os.path.realpath(frame.filename).startswith(scratch)]
        if frames:
            break
    for frame in frames[-8:]:
        lines.append(f'  File "{os.path.relpath(frame.filename, scratch)}", line {frame.lineno}, in {frame.name}')
        if frame.line:
            lines.append(f"    {ANSI_ESCAPE.sub('', frame.line)}")
    if len(chain) > 1:
        outer = _exception_text(error)
        root_message = lines[0].partition(": ")[2]
        if not root_message or root_message not in outer:
            lines.append(f"(then: {outer})")
    return "\n".join(lines)


def failure(error, kind="exception"):
    if isinstance(error, MemoryError):
        kind = "memory"
    return {"ok": False, "kind": kind, "message": student_error_text(error)}


def as_number_list(values, what):
    """train()'s losses (a list, a scalar or None; tensors allowed) as a list of floats."""
    if values is None:
        return []
    if is_tensorflow_tensor(values) or isinstance(values, (np.ndarray, np.generic, int, float)):
        values = np.asarray(values.numpy() if is_tensorflow_tensor(values) else values).reshape(-1).tolist()
    try:
        return [float(value.numpy() if is_tensorflow_tensor(value) else value) for value in values]
    except Exception:
        raise TypeError(f"{what} must return a list of numbers (the loss of each batch)") from None


def as_array(value, what):
    if is_tensorflow_tensor(value):
        value = value.numpy()
    array = np.asarray(value)
    if array.dtype.kind not in "biuf":
        raise TypeError(f"{what} must return numbers; got {type_name(value)}")
    return array


def changed_arguments(args, given):
    """Positions of the array arguments the call changed in place (a caller that reuses them gets other values)."""
    try:
        return [index for index, before in given if not np.array_equal(args[index], before, equal_nan=True)]
    except BaseException:        # the student's code replaced what the arguments are: it changed them
        return [index for index, _ in given]


def helper_uses():
    """The TensorFlow array helpers the NumPy-only worker's stand-ins ran since the last call (none elsewhere)."""
    stand_in = sys.modules.get("_forbidden_library")
    return stand_in.take_uses() if stand_in is not None else []


class Server:
    def __init__(self, request_fd, reply_fd, module_names):
        self.request_fd = request_fd
        self.reply_fd = reply_fd
        self.module_names = module_names
        self.modules = {}
        self.stuck = None
        self.reader = MessageReader()

    def send(self, header, arrays=()):
        for stream in (sys.stdout, sys.stderr):   # the student's prints reach the file before the reply does
            try:
                stream.flush()
            except Exception:
                pass
        write_all(self.reply_fd, encode_message(header, arrays))

    def receive(self):
        while True:
            message = self.reader.take()
            if message is not None:
                return message
            data = os.read(self.request_fd, 1 << 20)
            if not data:
                return None
            self.reader.feed(data)

    def import_modules(self):
        for name in self.module_names:
            try:
                module = __import__(name)
            except BaseException as error:
                return dict(failure(error, kind="import"), module=name)
            for function_name in WATCHED_FUNCTIONS.get(name, ()):
                function = getattr(module, function_name, None)
                if callable(function):
                    setattr(module, function_name, TRAP.watch(function))
            self.modules[name] = module
        return {"ok": True, "event": "ready"}

    def serve(self):
        self.send(self.import_modules())
        while True:
            message = self.receive()
            if message is None:
                return
            header, arrays = message
            reply_arrays = []
            try:
                reply = self.handle(header, arrays, reply_arrays)
            except BaseException as error:
                reply, reply_arrays = failure(error), []
            reply["id"] = header.get("id")
            self.send(reply, reply_arrays)

    def handle(self, header, arrays, reply_arrays):
        op = header.get("op")
        if op == "call":
            return self.call(header, arrays, reply_arrays)
        if op == "model":
            return self.run_model(header, arrays, reply_arrays)
        return {"ok": False, "kind": "protocol", "message": f"unknown request {op!r}"}

    def call(self, header, arrays, reply_arrays):
        args = decode_value(header["args"], arrays)
        kwargs = decode_value(header["kwargs"], arrays)
        module = self.modules[header["module"]]
        TRAP.take()
        helper_uses()
        given = [(index, arg.copy()) for index, arg in enumerate(args) if isinstance(arg, np.ndarray)]
        self.watch_for_a_hang(header.get("timeout"))
        try:
            function = getattr(module, header["function"])
            value = function(*args, **kwargs)
        except BaseException as error:
            TRAP.take()
            return failure(error)
        finally:
            faulthandler.cancel_dump_traceback_later()
        reply = {"ok": True, "type": type_name(value), "forbidden": TRAP.take(), "helpers": helper_uses(),
                 "value": None, "changed": changed_arguments(args, given)}
        limit = header.get("max_reply_bytes")
        if limit and isinstance(value, np.ndarray) and value.nbytes > limit:
            reply["type"] += f" of shape {tuple(value.shape)}, too large to send back"
            return reply
        try:
            reply["value"] = encode_value(value, reply_arrays)
        except BaseException:           # CannotCross, or the student's object misbehaved while being converted
            del reply_arrays[:]
        return reply

    def watch_for_a_hang(self, timeout):
        """Shortly before the grader's deadline (0.5 s or a tenth of it), write where every thread is to STUCK_FILE:
        when the call times
        out the grader tells the student the line it was stuck on (feedback only: this is the student's process)."""
        try:
            if self.stuck is None:
                self.stuck = open(STUCK_FILE, "w")
            self.stuck.seek(0)
            self.stuck.truncate()            # no earlier call's dump can be read for this one
            if isinstance(timeout, (int, float)) and timeout > 0.5:
                faulthandler.dump_traceback_later(min(timeout * 0.9, timeout - 0.5), file=self.stuck)
        except (OSError, ValueError):
            pass                     # the student's code closed or replaced it: no line for the hang, no harm

    def run_model(self, header, arrays, reply_arrays):
        """Train the student's model, then run `header["evaluations"]` in the grader's (secret, random) order: each
        [weights, is_testing] is one ordinary `model.call(test_inputs, is_testing=...)`, with the trained weights or
        with every trainable variable's values in a random order (`header["shuffle_seed"]`), once each."""
        assignment = self.modules["assignment"]
        train_inputs, train_labels, test_inputs = arrays[:3]
        started = time.perf_counter()
        try:
            tensorflow = sys.modules.get("tensorflow")
            if tensorflow is not None:      # the same weights and batches every time: grades are reproducible
                tensorflow.keras.utils.set_random_seed(header["seed"])
            model = getattr(assignment, header["class_name"])(header["num_classes"])
            train = getattr(assignment, header["train_function"])
            losses = []
            for _ in range(header["epochs"]):
                losses += as_number_list(train(model, train_inputs, train_labels), f"{header['train_function']}()")
        except BaseException as error:
            return failure(error)
        trained = time.perf_counter()
        weights = TrainedWeights(model, header["shuffle_seed"])
        value = {"losses": losses, "weights": len(weights.variables), "own_error": None, "own_conv_calls": 0,
                 "forbidden": []}
        for which, is_testing in header["evaluations"]:
            key = ("logits_own" if is_testing else "logits") + ("" if which == "trained" else "_shuffled")
            TRAP.take()
            calls = TRAP.calls
            try:
                weights.use(which)
                logits = as_array(model.call(test_inputs, is_testing=is_testing),
                                  f"call(inputs, is_testing={is_testing})")
                reply_arrays.append(logits)
                value[key] = {"__array__": len(reply_arrays) - 1}
                if key == "logits_own":
                    value["own_conv_calls"] = TRAP.calls - calls
            except BaseException as error:
                if key == "logits":
                    return failure(error)
                if key == "logits_own":
                    value["own_error"] = student_error_text(error)
                value[key] = None   # a model that cannot run with other weights depends on its own
            value["forbidden"] += [api for api in TRAP.take() if api not in value["forbidden"]]
        try:
            weights.use("trained")
        except BaseException:       # noqa: BLE001 - nothing runs after this; the model is the student's
            pass
        value["seconds"] = {"__dict__": {"train": trained - started, "predict": time.perf_counter() - trained}}
        return {"ok": True, "value": {"__dict__": value}}


class TrainedWeights:
    """The model's trainable variables (`model.trainable_variables`, as every training loop with a GradientTape
    uses them): their trained values, and the same values in a random order within each variable. A model whose
    predictions come from what training produced loses them with shuffled weights; one that ignores its weights
    (a lookup, a classifier kept beside them), or depends on them only through a positive scale, does not."""

    def __init__(self, model, seed):
        try:
            variables = [variable for variable in list(model.trainable_variables)
                         if callable(getattr(variable, "assign", None)) and callable(getattr(variable, "numpy", None))]
            self.trained = [np.array(variable.numpy()) for variable in variables]
        except BaseException:       # noqa: BLE001 - no variables to read: nothing comes from training
            variables, self.trained = [], []
        self.variables = variables
        rng = np.random.default_rng(seed)
        self.shuffled = [rng.permutation(value.reshape(-1)).reshape(value.shape) for value in self.trained]
        self.current = "trained"

    def use(self, which):
        """Give every variable its trained ("trained") or shuffled ("shuffled") values."""
        if which != self.current:
            self.current = None     # until every variable is assigned
            for variable, value in zip(self.variables, self.trained if which == "trained" else self.shuffled):
                variable.assign(value)
            self.current = which


class ColabOutsideColab:
    """`from google.colab import drive` (and files, output, ...) in a notebook written on Colab: there is no Colab
    where the code is graded, so these modules exist here with functions that do nothing (`drive.mount(...)` at the
    top of a file still imports). Consulted after every real finder, so an installed `google` package wins."""

    PACKAGES = ("google", "google.colab")

    def find_spec(self, fullname, path=None, target=None):
        if fullname in self.PACKAGES or fullname.startswith("google.colab."):
            return importlib.machinery.ModuleSpec(fullname, self, is_package=True)
        return None

    def create_module(self, spec):
        return None

    def exec_module(self, module):
        module.__path__ = []
        if module.__name__ != "google":
            module.__getattr__ = lambda name: _DoesNothing()


class _DoesNothing:
    """A name of google.colab: any attribute is another, and calling one does nothing (returns None)."""

    def __getattr__(self, name):
        if name.startswith("__"):
            raise AttributeError(name)
        return _DoesNothing()

    def __call__(self, *args, **kwargs):
        return None


def main(argv):
    request_fd, reply_fd = int(argv[1]), int(argv[2])
    for fd in (request_fd, reply_fd):       # programs the student starts must not hold the protocol pipes
        os.set_inheritable(fd, False)
    sys.path.insert(0, os.getcwd())          # the student's modules live in the working directory
    sys.meta_path.insert(0, ArmOnImport())
    sys.meta_path.append(ColabOutsideColab())
    sys.argv = ["student"]
    Server(request_fd, reply_fd, argv[3:]).serve()


if __name__ == "__main__":
    main(sys.argv)
