"""Part 3: the performance budget — the student's conv2d timed against the reference solution's, as a ratio.

The student's calls are timed by the grader around the worker round trip (student code cannot fake the clock), on a
fresh random input each run (no memoising), and each output is checked. The reference runs in the grader process,
interleaved with the student's calls: inside the student's process it could be patched to look slow. Ratios rather
than absolute times, so Gradescope's 0.5 vCPU judges like a laptop.
"""
import time

import numpy as np
from gradescope_utils.autograder_utils.decorators import number, partial_credit

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


class Performance(GradedCase):

    @partial_credit(CONFIG.points.performance)
    @number("3.1")
    def test_speed(self, set_score=None):
        """conv2d: speed against the reference solution"""
        budget = CONFIG.performance
        layer = (f"inputs {budget.input_shape}, filters {budget.filter_shape}, stride {budget.stride}, "
                 f"{budget.padding}")
        self.assert_no_library_convolution()
        self.assertFalse(self.session.stopped, f"Performance {self.session.stopped}.")
        rng = np.random.default_rng(CONFIG.public_seed + 1)
        filters = rng.standard_normal(budget.filter_shape).astype(np.float32)
        worker = self.session.worker()
        worker.put("filters", filters)
        student_seconds, reference_seconds = [], []
        for run in range(budget.runs + 1):      # run 0 warms both sides up (caches, page faults) and is not kept
            inputs = rng.standard_normal(budget.input_shape).astype(np.float32)
            worker.put("inputs", inputs)
            try:
                reply = self.session.call("convolution", "conv2d", Stashed("inputs"), Stashed("filters"),
                                          budget.stride, budget.padding, store_as="out",
                                          timeout=budget.call_timeout_s)
            except StudentError as error:
                if error.kind == "timeout":
                    self.fail(f"One call of your conv2d on the course's first layer ({layer}) took more than "
                              f"{budget.call_timeout_s:g} s. Replace Python loops over pixels and channels with "
                              "NumPy operations on whole arrays.")
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
            self.assertTrue(right, f"Your conv2d gives wrong output on the performance layer ({layer}), so its "
                                   "speed is not scored. Fix the conv2d cases first.")
            if reply.seconds / reference_time > 2 * budget.tiers[-1][0]:
                student_seconds, reference_seconds = [reply.seconds], [reference_time]
                break       # far outside every tier: more runs would only spend the student's time budget
            if run > 0:
                student_seconds.append(reply.seconds)
                reference_seconds.append(reference_time)
        self.assert_no_library_convolution()
        student, reference = np.median(student_seconds), np.median(reference_seconds)
        ratio = student / reference
        set_score(CONFIG.points.performance * score_fraction(ratio, budget.tiers))
        runs = f"median of {len(student_seconds)} runs" if len(student_seconds) > 1 else "one run: far too slow for more"
        tiers = "; ".join(f"up to {limit:g}x: {fraction:.0%} of the points" for limit, fraction in budget.tiers)
        self.say(f"On the course's first layer ({layer}) your conv2d took {student * 1e3:.1f} ms, the reference "
                 f"{reference * 1e3:.1f} ms: **{ratio:.1f}x** ({runs}). "
                 f"Budget: {tiers}.")
