"""The sandbox with real processes and real limits: student modules here are tiny files written into tmp_path.

Only test_trap_flags_tensorflow_inside_conv2d_only imports TensorFlow (in the worker); the rest is NumPy.
"""
import os
import socket
import textwrap
import time
from dataclasses import replace

import numpy as np
import pytest

from autograder.config import CONFIG
from autograder.sandbox import REPOSITORY, StudentError, Worker
from autograder.sandbox import protocol
from autograder.sandbox.view import namespaces_available


def student(tmp_path, **modules):
    """Write each keyword as a student module (name -> source) and return the folder."""
    folder = tmp_path / "submission"
    folder.mkdir(parents=True, exist_ok=True)
    for name, source in modules.items():
        (folder / f"{name}.py").write_text(textwrap.dedent(source))
    return folder


def process_alive(pid):
    """True if pid runs (a zombie waiting for its parent to reap it counts as gone)."""
    try:
        with open(f"/proc/{pid}/stat") as file:
            return file.read().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


def processes_of(uid):
    """The live processes of a uid, as seen from the grader."""
    found = []
    for entry in os.listdir("/proc"):
        if entry.isdigit() and process_alive(entry):
            try:
                if os.stat(f"/proc/{entry}").st_uid == uid:
                    found.append(int(entry))
            except OSError:
                pass
    return found


SIMPLE = """
    import numpy as np

    def conv2d(inputs, filters, strides, padding):
        return np.asarray(inputs, np.float32) * 2

    def trivial():
        return 1

    def fails(padding):
        raise ValueError(f"padding must be 'SAME' or 'VALID'; got {padding!r}")

    def spin():
        while True:
            pass

    def structures():
        return [1, 2.5, "three", None, {"four": [4, np.int64(4)]}, (np.arange(3),)]

    class Liar:
        def __array__(self, dtype=None, copy=None):
            return np.array([object()], dtype=object)

    def liar():
        return Liar()

    def object_array():
        return np.array([1, "a", None], dtype=object)

    def shout():
        print("x" * 1000 + "\\n", end="")
        return 1
"""


@pytest.fixture
def simple_worker(tmp_path):
    with Worker(student(tmp_path, convolution=SIMPLE), modules=("convolution",)) as worker:
        yield worker


def test_call_returns_array_with_dtype_and_timing(simple_worker):
    inputs = np.arange(24, dtype=np.float64).reshape(1, 2, 3, 4)
    reply = simple_worker.call("convolution", "conv2d", inputs, np.ones((1, 1, 4, 1)), 2, "SAME", timeout=10)
    assert reply.type == "numpy.ndarray"
    assert reply.value.dtype == np.float32
    np.testing.assert_array_equal(reply.value, inputs * 2)
    assert 0 < reply.seconds < 5
    assert reply.forbidden == []


def test_isolation_is_reported(simple_worker):
    simple_worker.call("convolution", "trivial")
    isolation = simple_worker.isolation
    assert isolation["limits"]["memory_mb"] == CONFIG.sandbox.memory_mb
    assert isolation["mode"] in ("namespaces", "permissions")
    assert isolation["uid"] >= CONFIG.sandbox.uid_base
    assert isolation["network_blocked"] is ("network" in isolation["namespaces"])
    if namespaces_available():             # this machine (and CI) allow them: the report must say they held
        assert isolation["mode"] == "namespaces" and isolation["network_blocked"] is True
        assert set(isolation["namespaces"]) == {"pid", "mount", "ipc", "uts", "network"}


def test_student_exception_has_type_message_and_no_worker_internals(simple_worker):
    with pytest.raises(StudentError) as caught:
        simple_worker.call("convolution", "fails", "same")
    assert caught.value.kind == "exception"
    assert caught.value.message.startswith("ValueError: padding must be 'SAME' or 'VALID'; got 'same'")
    assert 'File "convolution.py"' in caught.value.message
    assert "worker.py" not in caught.value.message
    # the worker survives a student exception
    assert simple_worker.call("convolution", "trivial").value == 1
    assert simple_worker.restarts == 0


def test_per_call_overhead_is_small(simple_worker):
    simple_worker.call("convolution", "trivial")
    seconds = sorted(simple_worker.call("convolution", "trivial").seconds for _ in range(200))
    median_ms = seconds[len(seconds) // 2] * 1000
    print(f"round trip of a trivial call: median {median_ms:.3f} ms")
    assert median_ms < 250   # ~1 ms here when quiet: a bound a loaded machine keeps, that a polling loop would not


def test_structures_cross_safely_and_lying_objects_do_not(simple_worker):
    reply = simple_worker.call("convolution", "structures")
    assert reply.type == "list"
    assert reply.value[:4] == [1, 2.5, "three", None]
    assert reply.value[4]["four"][0] == 4 and reply.value[4]["four"][1].dtype == np.int64
    np.testing.assert_array_equal(reply.value[5][0], np.arange(3))

    reply = simple_worker.call("convolution", "liar")
    assert reply.value is None and reply.type == "convolution.Liar"
    reply = simple_worker.call("convolution", "object_array")
    assert reply.value is None and reply.type == "numpy.ndarray"


def test_object_arrays_are_refused_both_ways(simple_worker):
    with pytest.raises(ValueError):
        simple_worker.call("convolution", "conv2d", np.array([1, None], dtype=object), None, 1, "SAME")
    import io
    buffer = io.BytesIO()
    np.save(buffer, np.array([{"a": 1}], dtype=object), allow_pickle=True)
    with pytest.raises(protocol.ProtocolError):
        protocol.bytes_to_array(buffer.getvalue())


def process_state(pid):
    with open(f"/proc/{pid}/stat") as file:
        return file.read().rsplit(")", 1)[1].split()[0]


def states_within(pids, wanted, seconds=10.0):
    """True once the processes' states satisfy `wanted` (a signal takes effect when its target is next scheduled)."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if wanted({process_state(pid) for pid in pids}):
            return True
        time.sleep(0.01)
    return False


def test_paused_stops_every_process_of_the_sandbox_and_continues_them(tmp_path):
    """While the reference is timed, nothing of the student's runs: a busy thread and a child process included."""
    source = """
        import subprocess, sys, threading

        def start():
            threading.Thread(target=lambda: sum(i for i in range(10 ** 12)), daemon=True).start()
            global CHILD
            CHILD = subprocess.Popen([sys.executable, "-c", "while True: pass"])
            return 1
    """
    with Worker(student(tmp_path, convolution=source)) as worker:
        worker.call("convolution", "start")
        processes = processes_of(worker.isolation["uid"])
        assert len(processes) >= 2           # the worker and its child
        with worker.paused():
            assert states_within(processes, lambda states: states == {"T"})
        assert states_within(processes, lambda states: "T" not in states)
        assert worker.call("convolution", "start").value == 1     # it answers as before


def test_output_is_captured_and_bounded(tmp_path):
    limits = replace(CONFIG.sandbox, output_bytes=5000)
    with Worker(student(tmp_path, convolution=SIMPLE), limits=limits) as worker:
        for _ in range(20):
            worker.call("convolution", "shout")
        output = worker.output()
    assert output.startswith("x" * 1000)
    assert "bytes of output cut" in output
    assert len(output) < 5200


def test_import_error_is_remembered(tmp_path):
    folder = student(tmp_path, convolution="import numpy as np\nimport not_a_real_module\n")
    with Worker(folder) as worker:
        for _ in range(2):
            with pytest.raises(StudentError) as caught:
                worker.call("convolution", "conv2d", 1, 2, 3, "SAME")
            assert caught.value.kind == "import"
            assert "ModuleNotFoundError: No module named 'not_a_real_module'" in caught.value.message
            assert 'File "convolution.py", line 2' in caught.value.message
        assert worker.restarts == 0


def test_exit_during_import(tmp_path):
    with Worker(student(tmp_path, convolution="import os\nos._exit(3)\n")) as worker:
        with pytest.raises(StudentError) as caught:
            worker.call("convolution", "conv2d")
        assert caught.value.kind == "import"
        assert "exited with status 3" in caught.value.message
        with pytest.raises(StudentError, match="exited with status 3"):
            worker.call("convolution", "conv2d")
        assert worker.restarts == 0


def test_timeout_kills_then_next_call_gets_a_fresh_worker(simple_worker):
    started = time.monotonic()
    with pytest.raises(StudentError) as caught:
        simple_worker.call("convolution", "spin", timeout=1)
    assert caught.value.kind == "timeout"
    assert caught.value.message.startswith("timed out after 1 s, stopped in convolution.py, line ")
    assert time.monotonic() - started < 15   # the kill does not wait for the student's code (margin for load)
    assert simple_worker.call("convolution", "trivial").value == 1
    assert simple_worker.restarts == 1


def test_memory_blow_up(tmp_path):
    source = """
        import numpy as np
        def hog():
            blocks = []
            for _ in range(8):
                blocks.append(np.ones(2 ** 30 // 8))     # 1 GB each, touched
            return len(blocks)
    """
    with Worker(student(tmp_path, convolution=source)) as worker:
        with pytest.raises(StudentError) as caught:
            worker.call("convolution", "hog", timeout=30)
    assert caught.value.kind == "memory"
    assert f"more than the {CONFIG.sandbox.memory_mb} MB of memory" in caught.value.message


def test_printing_100_mb_is_stopped_and_output_bounded(tmp_path):
    source = """
        import sys
        def flood():
            line = "y" * 1023 + "\\n"
            for _ in range(100 * 1024):
                sys.stdout.write(line)
            return "finished"
    """
    with Worker(student(tmp_path, convolution=source)) as worker:
        with pytest.raises(StudentError) as caught:
            worker.call("convolution", "flood", timeout=30)
        assert caught.value.kind == "died"
        assert caught.value.message == f"wrote more than {CONFIG.sandbox.file_size_mb} MB of output"
        assert len(worker.output()) <= CONFIG.sandbox.output_bytes + 200


def test_writing_a_1_gb_file_is_stopped(tmp_path):
    source = """
        def fill():
            block = b"z" * 2 ** 20
            with open("big.bin", "wb") as file:
                for _ in range(1024):
                    file.write(block)
            return "wrote 1 GB"
    """
    with Worker(student(tmp_path, convolution=source)) as worker:
        with pytest.raises(StudentError) as caught:
            worker.call("convolution", "fill", timeout=30)
        assert "File too large" in caught.value.message
        assert os.path.getsize(worker._scratch / "big.bin") <= CONFIG.sandbox.file_size_mb * 2 ** 20


def test_fork_bomb_is_bounded(tmp_path):
    # At most 2,000 forks, so that a missing limit fails this test instead of downing the machine.
    source = """
        import os, time
        def bomb():
            children = 0
            try:
                for _ in range(2000):
                    if os.fork() == 0:
                        time.sleep(30)
                        os._exit(0)
                    children += 1
            except OSError:
                pass
            return children
    """
    limits = replace(CONFIG.sandbox, processes=64)
    with Worker(student(tmp_path, convolution=source), limits=limits) as worker:
        reply = worker.call("convolution", "bomb", timeout=30)
        assert reply.value < 64


@pytest.mark.parametrize("leave_session", [False, True])
def test_double_forked_sleeper_dies_with_the_worker(tmp_path, leave_session):
    source = f"""
        import os, time
        def daemon():
            if os.fork() == 0:
                if {leave_session}:
                    os.setsid()
                if os.fork() == 0:
                    with open("sleeper.pid", "w") as file:
                        file.write(str(os.getpid()))
                    time.sleep(600)
                os._exit(0)
            for _ in range(200):
                if os.path.exists("sleeper.pid") and open("sleeper.pid").read():
                    return int(open("sleeper.pid").read())
                time.sleep(0.01)
    """
    worker = Worker(student(tmp_path, convolution=source))
    uid = worker.isolation["uid"]
    try:
        assert worker.call("convolution", "daemon").value   # its pid inside the sandbox's PID namespace
        assert len(processes_of(uid)) >= 2                   # the worker and the sleeper
    finally:
        worker.close()
    assert processes_of(uid) == []


def test_network_is_blocked(tmp_path):
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen()
    port = listener.getsockname()[1]
    source = f"""
        import socket
        def connect():
            socket.create_connection(("127.0.0.1", {port}), timeout=2).close()
            return "connected"
    """
    try:
        with Worker(student(tmp_path, convolution=source)) as worker:
            with pytest.raises(StudentError) as caught:
                worker.call("convolution", "connect")
            assert worker.isolation["network_blocked"]
    finally:
        listener.close()
    assert caught.value.kind == "exception"
    assert "OSError" in caught.value.message or "Error" in caught.value.message


def assert_unreadable_by_student(tmp_path, path):
    source = f"""
        def steal():
            return open({str(path)!r}, "rb").read(16)
    """
    with Worker(student(tmp_path, convolution=source)) as worker:
        with pytest.raises(StudentError) as caught:
            worker.call("convolution", "steal")
    # covered by the sandbox's view (namespaces) or refused by its permissions
    assert "PermissionError" in caught.value.message or "FileNotFoundError" in caught.value.message


def test_sandbox_user_cannot_read_root_only_files(tmp_path):
    secret = tmp_path / "secret.txt"
    secret.write_text("expected outputs")
    secret.chmod(0o600)
    assert_unreadable_by_student(tmp_path, secret)


@pytest.mark.parametrize("secret", ["autograder/fixtures/hidden.npz", "autograder/config.py",
                                    "solution/assignment.py", ".git/HEAD"])
def test_sandbox_user_cannot_read_the_graders_own_files(tmp_path, secret):
    """The hidden cases, the seeds, the solution and git's copies of them, however readable the checkout is."""
    if not (REPOSITORY / secret).exists():
        pytest.skip(f"{secret} is not in this checkout")
    assert_unreadable_by_student(tmp_path, REPOSITORY / secret)


def test_trap_flags_scipy_inside_conv2d_only(tmp_path):
    source = """
        import numpy as np
        from scipy import signal
        from scipy.signal import correlate2d

        def conv2d(inputs, filters, strides, padding):
            return correlate2d(inputs, filters, mode="valid")

        def outside(inputs, filters):
            return signal.convolve2d(inputs, filters)
    """
    image, kernel = np.arange(16.0).reshape(4, 4), np.ones((2, 2))
    with Worker(student(tmp_path, convolution=source), libraries=("numpy", "scipy")) as worker:
        reply = worker.call("convolution", "conv2d", image, kernel, 1, "VALID")
        assert reply.forbidden == ["scipy.signal.correlate2d"]
        assert reply.value.shape == (3, 3)
        assert worker.call("convolution", "outside", image, kernel).forbidden == []


TENSORFLOW_STUDENT = """
    import numpy as np
    import tensorflow as tf

    def conv2d(inputs, filters, strides, padding, how="numpy"):
        if how == "nn":
            return tf.nn.conv2d(inputs, filters, strides, padding)
        if how == "raw":
            return tf.raw_ops.Conv2D(input=inputs, filter=filters, strides=[1, strides, strides, 1], padding=padding)
        if how == "alias":
            return getattr(getattr(tf, "n" + "n"), "conv" + "2d")(inputs, filters, strides, padding)
        return tf.constant(np.zeros((1, 1, 1, 1), np.float32))

    def outside(inputs, filters):
        return tf.nn.conv2d(inputs, filters, 1, "VALID")
"""


def test_trap_flags_tensorflow_inside_conv2d_only(tmp_path):
    inputs = np.arange(9, dtype=np.float32).reshape(1, 3, 3, 1)
    filters = np.array([[1, 2], [3, 4]], np.float32).reshape(2, 2, 1, 1)
    folder = student(tmp_path, convolution=TENSORFLOW_STUDENT)
    with Worker(folder, modules=("convolution",), libraries=("numpy", "tensorflow")) as worker:
        for how in ("nn", "raw", "alias"):
            reply = worker.call("convolution", "conv2d", inputs, filters, 1, "VALID", kwargs={"how": how},
                                timeout=60)
            assert reply.forbidden == ["tensorflow op Conv2D"], how
            assert reply.value[0, 0, 0, 0] == 27          # REFERENCE section 1: cross-correlation, no flip
        reply = worker.call("convolution", "conv2d", inputs, filters, 1, "VALID")
        assert reply.forbidden == []
        assert reply.type.startswith("tensorflow.") and isinstance(reply.value, np.ndarray)
        assert reply.value.dtype == np.float32 and reply.value.shape == (1, 1, 1, 1)
        reply = worker.call("convolution", "outside", inputs, filters)
        assert reply.forbidden == [] and reply.value[0, 0, 0, 0] == 27


MODEL_ASSIGNMENT = """
    import numpy as np
    from convolution import conv2d

    class CNN:
        def __init__(self, num_classes):
            self.weights = np.zeros((16, num_classes), np.float32)

        def call(self, inputs, is_testing=False):
            if is_testing:
                conv2d(inputs, None, 1, "SAME")
                raise NotImplementedError("own convolution not done yet")
            return inputs.reshape(len(inputs), -1) @ self.weights

    def train(model, inputs, labels):
        model.weights += 0.1
        return [np.float32(1.5), 0.5]
"""


def test_run_model_plumbing_without_tensorflow(tmp_path):
    folder = student(tmp_path, convolution=SIMPLE, assignment=MODEL_ASSIGNMENT)
    rng = np.random.default_rng(0)
    with Worker(folder, modules=("convolution", "assignment")) as worker:
        result = worker.run_model(num_classes=3, epochs=2, train_inputs=rng.random((10, 4, 4, 1), np.float32),
                                  train_labels=np.arange(10) % 3, test_inputs=np.ones((5, 4, 4, 1), np.float32),
                                  timeout=30)
    assert result["losses"] == [1.5, 0.5, 1.5, 0.5]
    assert result["logits"].shape == (5, 3)
    np.testing.assert_allclose(result["logits"], 16 * 0.2, rtol=1e-5)
    assert result["logits_own"] is None
    assert result["own_error"].startswith("NotImplementedError: own convolution not done yet")
    assert set(result["seconds"]) == {"train", "predict"}


def test_memory_of_child_processes_is_polled(tmp_path):
    # Each child stays under RLIMIT_DATA; only the grader's poll of the whole tree's RSS can stop them.
    source = """
        import os, time
        import numpy as np
        def hog_in_children():
            for _ in range(4):
                if os.fork() == 0:
                    block = np.ones(150 * 2 ** 20 // 8)
                    time.sleep(30)
                    os._exit(0)
            time.sleep(30)
    """
    limits = replace(CONFIG.sandbox, memory_mb=300)
    with Worker(student(tmp_path, convolution=source), limits=limits) as worker:
        with pytest.raises(StudentError) as caught:
            worker.call("convolution", "hog_in_children", timeout=20)
    assert caught.value.kind == "memory"
    assert caught.value.message.startswith("killed: used more than the 300 MB of memory")


def test_garbage_on_the_pipe_is_a_protocol_error(tmp_path):
    source = """
        import os
        def scribble():
            for fd in range(3, 64):
                try:
                    if os.readlink(f"/proc/self/fd/{fd}").startswith("pipe:"):
                        os.write(fd, b"\\xff" * 64)
                except OSError:
                    pass
            return 1

        def trivial():
            return 1
    """
    with Worker(student(tmp_path, convolution=source)) as worker:
        with pytest.raises(StudentError) as caught:
            worker.call("convolution", "scribble")
        assert caught.value.kind == "protocol"
        assert worker.call("convolution", "trivial").value == 1
        assert worker.restarts == 1


def test_closing_one_worker_spares_another(tmp_path):
    first = Worker(student(tmp_path / "a", convolution=SIMPLE))
    second = Worker(student(tmp_path / "b", convolution=SIMPLE))
    try:
        first.call("convolution", "trivial")
        second.call("convolution", "trivial")
        first.close()
        assert second.call("convolution", "trivial").value == 1
        assert second.restarts == 0
    finally:
        first.close()
        second.close()


def test_a_worker_that_stops_reading_cannot_hold_the_grader_in_write(tmp_path):
    """Student code that stops the worker reading requests: a large request times out instead of blocking the
    grader's write() for ever."""
    source = """
        import sys, time
        server = getattr(sys.modules.get("__main__"), "Server", None)
        if server is not None:
            server.receive = lambda self: time.sleep(3600)

        def echo(x):
            return x
    """
    with Worker(student(tmp_path, convolution=source)) as worker:
        started = time.monotonic()
        with pytest.raises(StudentError) as caught:
            worker.call("convolution", "echo", np.zeros(4 * 2 ** 20, np.float32), timeout=3)
        assert caught.value.kind == "timeout"
        assert time.monotonic() - started < 30   # the 3 s deadline holds, not the hour the worker sleeps


def test_a_timeout_names_the_students_line_where_it_was_stuck(tmp_path):
    """The worker writes where it is shortly before the deadline; the timeout's message names the student's line
    (feedback only: the dump comes from the student's own process)."""
    source = """
        import numpy as np

        def conv2d(inputs, filters, strides, padding):
            total = 0
            while total >= 0:
                total = (total + 1) % 7
            return inputs
    """
    with Worker(student(tmp_path, convolution=source)) as worker:
        with pytest.raises(StudentError) as caught:
            worker.call("convolution", "conv2d", np.ones((1, 2, 2, 1)), None, 1, "SAME", timeout=2)
    assert caught.value.kind == "timeout"
    assert caught.value.message.startswith("timed out after 2 s, stopped in convolution.py, line ")
    assert "total" in caught.value.message


def test_colab_imports_do_nothing_where_code_is_graded(tmp_path):
    """A file written on Colab imports google.colab and mounts a drive at the top: that still imports, in the
    NumPy-only worker and in the model's, while a real `google` package (protobuf, TensorFlow's) stays the real one."""
    from autograder import stand_ins
    source = """
        from google.colab import drive, files
        import google.colab.output
        drive.mount("/content/drive")

        def check():
            return [drive.mount("/content/drive"), files.upload()]

        def protobuf():
            import google.protobuf
            return google.protobuf.__file__ is not None
    """
    folder = student(tmp_path, convolution=source, assignment="import convolution\n")
    with Worker(folder, deny=stand_ins.DENIED_LIBRARIES, stand_ins=stand_ins.FOLDER) as numpy_only:
        assert numpy_only.call("convolution", "check").value == [None, None]
    with Worker(folder, modules=("convolution", "assignment")) as model_worker:     # TensorFlow's view: protobuf
        assert model_worker.call("convolution", "check").value == [None, None]
        assert model_worker.call("convolution", "protobuf").value is True
