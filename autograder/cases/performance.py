"""Part 3: the performance budget — the student's conv2d timed against the reference solution's, as a ratio.

The student's calls are timed by the grader around the worker round trip (student code cannot fake the clock), on a
fresh random input each run that travels inside the timed request itself (nothing of the student's sees it untimed,
so no work can start early), and each output is checked. The reference runs in the grader process,
interleaved with the student's calls: inside the student's process it could be patched to look slow. Ratios rather
than absolute times, so Gradescope's 0.5 vCPU judges like a laptop.

The reference is timed the way the student is: in a process of its own (started by the grader, as the grader's user,
so student code can neither patch nor signal it), through a pipe round trip, interleaved with the student's calls.
Timed inside the running grader instead, it paid no process wake-ups: on a busy machine (another grader, Gradescope's
0.5 vCPU) each wake-up can wait for a core, and the solution against itself scored up to 2-3x. Both sides run their
BLAS on one thread and with the same steady allocator (autograder.reference.TIMING_ENVIRONMENT, in both processes'
environments): with each side's default, multi-threaded OpenBLAS in the grader against whatever the worker's
threads did gave the solution 0.2x-1.4x against itself (issue 12). `make bench` prints the self-ratio's spread.
"""
import json
import os
import struct
import subprocess
import sys
import time
from collections import namedtuple
from pathlib import Path

import numpy as np
from gradescope_utils.autograder_utils.decorators import number
from threadpoolctl import threadpool_limits

from autograder.cases import GradedCase, scored
from autograder.gradescope import leaderboard
from autograder.tolerance import same_output
from autograder.reference import TIMING_ENVIRONMENT, reference_conv2d
from autograder.sandbox import Stashed, StudentError


def score_fraction(ratio, tiers):
    """The fraction of points for a time ratio: the first tier (largest ratio, fraction) that admits it, else 0."""
    for largest_ratio, fraction in tiers:
        if ratio <= largest_ratio:
            return fraction
    return 0.0


# Runs of both sides before the kept ones: the first calls on this layer in a fresh process are slower (its heap grows
# to the layer's size, caches fill), measured 4-12 ms against 2.1-2.5 ms for the solution from the fourth call on.
WARM_UP_RUNS = 3
REPOSITORY = Path(__file__).resolve().parent.parent.parent

# The reference process: reads requests from stdin, answers one byte. b"P" + 8-byte length + float32 bytes: the next
# inputs (shape given on the command line); b"R": run the reference conv2d on them; b"Q": quit.
REFERENCE_SERVER = """
import json, struct, sys
import numpy as np
from threadpoolctl import threadpool_limits
from autograder.reference import reference_conv2d
threadpool_limits(limits=1)
spec = json.loads(sys.argv[1])
filters = np.asarray(spec["filters"], np.float32).reshape(spec["filter_shape"])
requests, replies = sys.stdin.buffer, sys.stdout.buffer
inputs = None

def read(size):
    data = bytearray()
    while len(data) < size:
        chunk = requests.read(size - len(data))
        if not chunk:
            raise SystemExit(0)
        data += chunk
    return bytes(data)

while True:
    op = read(1)
    if op == b"P":
        size, = struct.unpack("<Q", read(8))
        inputs = np.frombuffer(read(size), np.float32).reshape(spec["input_shape"]).copy()
    elif op == b"R":
        reference_conv2d(inputs, filters, spec["stride"], spec["padding"])
    else:
        raise SystemExit(0)
    replies.write(b"k")
    replies.flush()
"""


class ReferenceProcess:
    """The reference conv2d in a process of its own, timed around a pipe round trip like the student's worker."""

    def __init__(self, filters, budget):
        spec = {"filters": filters.ravel().tolist(), "filter_shape": list(budget.filter_shape),
                "input_shape": list(budget.input_shape), "stride": budget.stride, "padding": budget.padding}
        environment = dict(os.environ, **TIMING_ENVIRONMENT, PYTHONPATH=str(REPOSITORY))
        self.process = subprocess.Popen([sys.executable, "-s", "-c", REFERENCE_SERVER, json.dumps(spec)],
                                        stdin=subprocess.PIPE, stdout=subprocess.PIPE, cwd=REPOSITORY,
                                        env=environment, start_new_session=True)

    def _ask(self, message):
        self.process.stdin.write(message)
        self.process.stdin.flush()
        if self.process.stdout.read(1) != b"k":
            raise RuntimeError(f"the reference process died (exit status {self.process.wait()})")

    def time_run(self, inputs):
        """Seconds of one reference conv2d on `inputs`, sending them included (as the student's timed call does)."""
        data = np.ascontiguousarray(inputs, np.float32).tobytes()
        started = time.perf_counter()
        self._ask(b"P" + struct.pack("<Q", len(data)) + data)
        self._ask(b"R")
        return time.perf_counter() - started

    def close(self):
        try:
            self.process.stdin.write(b"Q")
            self.process.stdin.close()
        except OSError:
            pass
        try:
            self.process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        self.process.stdout.close()
Speed = namedtuple("Speed", "student_seconds reference_seconds")   # the kept runs of each side, in order


def speed_ratio(speed):
    """The verdict: the median over the runs of the student's time over the reference's in the same run. Each pair is
    timed back to back, so a moment when the machine was busy slows both and cancels; an outlier run cannot move it."""
    return float(np.median(np.asarray(speed.student_seconds) / np.asarray(speed.reference_seconds)))


def layer_text(budget):
    return f"inputs {budget.input_shape}, filters {budget.filter_shape}, stride {budget.stride}, {budget.padding}"


def measure_speed(session, budget=None):
    """Time the student's conv2d (in the session's worker) and the reference (in its own process), each on one BLAS
    thread, on the budget's layer, interleaved; AssertionError with the student-facing message when it cannot be scored.
    The bench (`make bench`) calls this too, to show how stable the ratio is. budget: the session config's when None."""
    config = session.config
    budget = budget or config.performance
    layer = layer_text(budget)
    rng = np.random.default_rng(config.public_seed + 1)
    filters = rng.standard_normal(budget.filter_shape).astype(np.float32)
    worker = session.worker()
    worker.put("filters", filters)
    student_seconds, reference_seconds = [], []
    # in the form the scored parts found this conv2d works with (canonical unless another form was right)
    strides = session.stride_argument((budget.stride, budget.stride))
    reference = ReferenceProcess(filters, budget)
    try:
        for run in range(WARM_UP_RUNS + budget.runs):
            inputs = rng.standard_normal(budget.input_shape).astype(np.float32)
            try:
                # The inputs travel inside the timed request: nothing of the student's runs with them untimed.
                reply = session.call("convolution", "conv2d", inputs, Stashed("filters"),
                                     strides, budget.padding, store_as="out", timeout=budget.call_timeout_s)
            except StudentError as error:
                if error.kind == "timeout":
                    raise AssertionError(
                        f"One call of your conv2d on the course's first layer ({layer}) took more than "
                        f"{budget.call_timeout_s:g} s. Replace Python loops over pixels and channels with NumPy "
                        "operations on whole arrays.") from None
                raise
            reference_time = reference.time_run(inputs)
            try:
                output = worker.fetch("out")
            except KeyError:            # conv2d returned something that cannot cross as an array
                output = None
            with threadpool_limits(limits=1):
                expected = reference_conv2d(inputs, filters, budget.stride, budget.padding)
            if not (isinstance(output, np.ndarray) and same_output(output, expected, config.tolerance)):
                raise AssertionError(f"Your conv2d gives wrong output on the performance layer ({layer}), so its "
                                     "speed is not scored. Fix the conv2d cases first.")
            if reply.seconds / reference_time > 2 * budget.tiers[-1][0]:
                # far outside every tier: more runs would only spend the student's time budget
                return Speed([reply.seconds], [reference_time])
            if run >= WARM_UP_RUNS:
                student_seconds.append(reply.seconds)
                reference_seconds.append(reference_time)
    finally:
        reference.close()
    return Speed(student_seconds, reference_seconds)


class Performance(GradedCase):

    @scored("performance")
    @number("3.1")
    def test_speed(self, set_score=None):
        """conv2d: speed against the reference solution"""
        budget = self.config.performance
        self.assert_no_library_convolution()
        self.assertFalse(self.session.stopped, f"Performance {self.session.stopped}.")
        # Only a conv2d that answers is timed: one that hung or crashed on every public case would only spend its
        # time limit once more here.
        self.assertTrue(any(outcome.output is not None for outcome in self.session.conv_outcomes("public")),
                        "Your conv2d gave no output on any public case (see 2.2), so its speed is not measured.")
        speed = measure_speed(self.session, budget)
        self.assert_no_library_convolution()
        student, reference = np.median(speed.student_seconds), np.median(speed.reference_seconds)
        ratio = speed_ratio(speed)
        leaderboard.record(leaderboard.RATIO, ratio)
        set_score(self.config.points.performance * score_fraction(ratio, budget.tiers))
        runs = (f"medians of {len(speed.student_seconds)} runs" if len(speed.student_seconds) > 1
                else "one run: far too slow for more")
        tiers = "; ".join(f"up to {limit:g}x: {fraction:.0%} of the points" for limit, fraction in budget.tiers)
        self.say(f"On the course's first layer ({layer_text(budget)}) your conv2d took {student * 1e3:.1f} ms, the "
                 f"reference {reference * 1e3:.1f} ms: **{ratio:.1f}x** ({runs}). "
                 f"Budget: {tiers}.")
