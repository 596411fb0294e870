"""Part 3: the performance budget — the student's conv2d timed against the reference solution's, as a ratio.

The student's calls are timed by the grader around the worker round trip (student code cannot fake the clock), on a
fresh random input each run (no memoising), and each output is checked. The reference runs in the grader process,
interleaved with the student's calls: inside the student's process it could be patched to look slow. Ratios rather
than absolute times, so Gradescope's 0.5 vCPU judges like a laptop.

Both sides run their BLAS on one thread: the reference under threadpoolctl's limit, the worker with
autograder.reference.SINGLE_THREAD_ENVIRONMENT in its environment. With each side's own default, multi-threaded
OpenBLAS in the grader against whatever the worker's threads did made the solution's ratio against itself swing from
0.2x to 1.4x on a shared 2-core machine (issue 12); one thread each keeps it within 0.75-1.33x (`make bench`).
"""
import time
from collections import namedtuple

import numpy as np
from gradescope_utils.autograder_utils.decorators import number, partial_credit
from threadpoolctl import threadpool_limits

from autograder.cases import GradedCase
from autograder.config import CONFIG
from autograder.reference import reference_conv2d
from autograder.sandbox import Stashed, StudentError


def score_fraction(ratio, tiers):
    """The fraction of points for a time ratio: the first tier (largest ratio, fraction) that admits it, else 0."""
    for largest_ratio, fraction in tiers:
        if ratio <= largest_ratio:
            return fraction
    return 0.0


# Untimed reference calls before the first run: the first few calls in a process are slower (fresh heap pages), and
# the worker has warmed up on the public conv2d cases already.
REFERENCE_WARM_UP = 3
Speed = namedtuple("Speed", "student_seconds reference_seconds")   # the kept runs of each side, in order


def layer_text(budget):
    return f"inputs {budget.input_shape}, filters {budget.filter_shape}, stride {budget.stride}, {budget.padding}"


def measure_speed(session, budget=CONFIG.performance):
    """Time the student's conv2d (in the session's worker) and the reference (here, on one BLAS thread) on the
    budget's layer, interleaved; AssertionError with the student-facing message when it cannot be scored.
    The bench (`make bench`) calls this too, to show how stable the ratio is."""
    layer = layer_text(budget)
    rng = np.random.default_rng(CONFIG.public_seed + 1)
    filters = rng.standard_normal(budget.filter_shape).astype(np.float32)
    worker = session.worker()
    worker.put("filters", filters)
    student_seconds, reference_seconds = [], []
    with threadpool_limits(limits=1):
        for _ in range(REFERENCE_WARM_UP):     # the grader's allocator and caches: costs the student nothing
            reference_conv2d(rng.standard_normal(budget.input_shape).astype(np.float32), filters, budget.stride,
                             budget.padding)
        for run in range(budget.runs + 1):      # run 0 warms both sides up (caches, page faults) and is not kept
            inputs = rng.standard_normal(budget.input_shape).astype(np.float32)
            worker.put("inputs", inputs)
            try:
                reply = session.call("convolution", "conv2d", Stashed("inputs"), Stashed("filters"),
                                     budget.stride, budget.padding, store_as="out", timeout=budget.call_timeout_s)
            except StudentError as error:
                if error.kind == "timeout":
                    raise AssertionError(
                        f"One call of your conv2d on the course's first layer ({layer}) took more than "
                        f"{budget.call_timeout_s:g} s. Replace Python loops over pixels and channels with NumPy "
                        "operations on whole arrays.") from None
                raise
            started = time.perf_counter()
            expected = reference_conv2d(inputs, filters, budget.stride, budget.padding)
            reference_time = time.perf_counter() - started
            try:
                output = worker.fetch("out")
            except KeyError:            # conv2d returned something that cannot cross as an array
                output = None
            right = (isinstance(output, np.ndarray) and output.shape == expected.shape
                     and np.allclose(output, expected, rtol=CONFIG.tolerance.rtol, atol=CONFIG.tolerance.atol))
            if not right:
                raise AssertionError(f"Your conv2d gives wrong output on the performance layer ({layer}), so its "
                                     "speed is not scored. Fix the conv2d cases first.")
            if reply.seconds / reference_time > 2 * budget.tiers[-1][0]:
                # far outside every tier: more runs would only spend the student's time budget
                return Speed([reply.seconds], [reference_time])
            if run > 0:
                student_seconds.append(reply.seconds)
                reference_seconds.append(reference_time)
    return Speed(student_seconds, reference_seconds)


class Performance(GradedCase):

    @partial_credit(CONFIG.points.performance)
    @number("3.1")
    def test_speed(self, set_score=None):
        """conv2d: speed against the reference solution"""
        budget = CONFIG.performance
        self.assert_no_library_convolution()
        self.assertFalse(self.session.stopped, f"Performance {self.session.stopped}.")
        speed = measure_speed(self.session, budget)
        self.assert_no_library_convolution()
        student, reference = np.median(speed.student_seconds), np.median(speed.reference_seconds)
        ratio = student / reference
        set_score(CONFIG.points.performance * score_fraction(ratio, budget.tiers))
        runs = (f"median of {len(speed.student_seconds)} runs" if len(speed.student_seconds) > 1
                else "one run: far too slow for more")
        tiers = "; ".join(f"up to {limit:g}x: {fraction:.0%} of the points" for limit, fraction in budget.tiers)
        self.say(f"On the course's first layer ({layer_text(budget)}) your conv2d took {student * 1e3:.1f} ms, the "
                 f"reference {reference * 1e3:.1f} ms: **{ratio:.1f}x** ({runs}). "
                 f"Budget: {tiers}.")
