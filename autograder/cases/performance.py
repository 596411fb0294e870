"""Part 3: the performance budget — the student's conv2d timed against the reference solution's, as a ratio.

Nothing the student's process does can move the figure: the grader times each call around the whole worker round
trip, and the output travels back inside the timed reply and is checked, every run (work deferred until after the
reply cannot help, since nothing is fetched later). The inputs and filters are fresh random arrays for each grading,
drawn from the operating system's entropy, and travel inside the timed request itself: nothing of the student's sees
them untimed, and no answer can be prepared ahead. Ratios rather than absolute times, so Gradescope's 0.5 vCPU judges
like a laptop.

The reference is timed exactly the way the student is: solution/convolution.py in a sandboxed NumPy-only worker of
its own (the same protocol, process set-up, cgroup and environment; student code can neither patch nor signal it),
on the same arrays, interleaved with the student's calls, each pair back to back, while every process of the
student's sandbox is stopped (SIGSTOP to its uid): a student's thread or child cannot slow the reference down. The
reference's answer is the expected output the student's is checked against. Both
sides run their BLAS on one thread with the same steady allocator (autograder.reference.TIMING_ENVIRONMENT, in every
worker's environment): with each side's default, multi-threaded OpenBLAS in the grader against whatever the worker's
threads did gave the solution 0.2x-1.4x against itself (issue 12); a reference in a plain process carried ~15% less
than the student's sandboxed side under load. `make bench` prints the self-ratio's spread.
"""
import secrets
import shutil
import tempfile
from collections import namedtuple
from pathlib import Path

import numpy as np
from gradescope_utils.autograder_utils.decorators import number

from autograder.cases import GradedCase, scored
from autograder.gradescope import leaderboard
from autograder.tolerance import same_output
from autograder import stand_ins
from autograder.reference import REFERENCE_PATH
from autograder.sandbox import StudentError, Worker


def score_fraction(ratio, tiers):
    """The fraction of points for a time ratio: the first tier (largest ratio, fraction) that admits it, else 0."""
    for largest_ratio, fraction in tiers:
        if ratio <= largest_ratio:
            return fraction
    return 0.0


# Runs of both sides before the kept ones: the first calls on this layer in a fresh process are slower (its heap grows
# to the layer's size, caches fill), measured 4-12 ms against 2.1-2.5 ms for the solution from the fourth call on.
WARM_UP_RUNS = 3

def reference_worker(config):
    """The reference conv2d (solution/convolution.py) in a sandboxed NumPy-only worker exactly like the student's:
    the same protocol, process set-up, cgroup and environment, so that both sides of the ratio pay the same costs.
    (Timed in a plain process instead, the student's side carried ~15% more than the reference's under load: a
    memory cgroup's charging, the protocol's framing.)"""
    with tempfile.TemporaryDirectory(prefix="cnn-reference-") as folder:
        shutil.copyfile(REFERENCE_PATH, Path(folder) / "convolution.py")
        return Worker(folder, limits=config.sandbox, modules=("convolution",), deny=stand_ins.DENIED_LIBRARIES,
                      stand_ins=stand_ins.FOLDER)


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
    rng = np.random.default_rng(secrets.randbits(128))     # unpredictable: no answer can be computed ahead
    worker = session.worker()
    student_seconds, reference_seconds = [], []
    # in the form the public cases settled on for this conv2d (canonical unless another form was right)
    strides = session.stride_argument((budget.stride, budget.stride))
    reference = reference_worker(config)
    try:
        for run in range(WARM_UP_RUNS + budget.runs):
            inputs = rng.standard_normal(budget.input_shape, dtype=np.float32)
            filters = rng.standard_normal(budget.filter_shape, dtype=np.float32)
            with worker.paused():
                # the reference's answer is the expected output: no student code runs in its sandbox
                answer = reference.call("convolution", "conv2d", inputs, filters, budget.stride, budget.padding,
                                        timeout=budget.call_timeout_s)
            expected, reference_time = answer.value, answer.seconds
            try:
                # (an answer far larger than the right one is not worth sending back to be refused)
                reply = session.call("convolution", "conv2d", inputs, filters, strides, budget.padding,
                                     timeout=budget.call_timeout_s, max_reply_bytes=16 * expected.nbytes)
            except StudentError as error:
                if error.kind == "timeout":
                    raise AssertionError(
                        f"One call of your conv2d on the course's first layer ({layer}) took more than "
                        f"{budget.call_timeout_s:g} s. Replace Python loops over pixels and channels with NumPy "
                        "operations on whole arrays.") from None
                raise
            if 1 in reply.changed:
                raise AssertionError(
                    "Your conv2d changes its `filters` argument in place (np.asarray does not copy), so a caller that "
                    "reuses the filters, as your CNN does, gets other filters on its next call. Its speed is scored "
                    "once it leaves its arguments as they were.")
            output = reply.value
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
        session.count_cpu(reference, "reference")
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
        if self.session.library_calls():
            self.say("Your conv2d's TensorFlow calls ran as their NumPy equivalents here (the conv2d parts are graded "
                     "without TensorFlow): this is the time of your code as it ran that way.")
