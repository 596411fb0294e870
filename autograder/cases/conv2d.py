"""Part 2: conv2d against outputs tf.nn.conv2d produced ahead of time, on public and hidden cases.

Public cases may be shown to the student in full (shapes, stride, padding, the first wrong value); hidden cases are
only ever counted, and at most the name of a known mistake is said about them.
"""
from collections import Counter

import numpy as np
from gradescope_utils.autograder_utils.decorators import number, partial_credit, visibility, weight

from autograder.cases import GradedCase
from autograder.config import CONFIG
from autograder.mistakes import diagnose

PRINTED_CHARS = 2000


def case_text(case):
    return (f"inputs {tuple(case.inputs.shape)} ({case.inputs.dtype}), filters {tuple(case.filters.shape)}, "
            f"strides {case.strides}, padding {case.padding!r}")


def shape_problem(case, outcome):
    """Why the outcome has no output of the right shape (student-facing), or None when the shape is right."""
    if outcome.problem:
        return outcome.problem
    if outcome.output.shape != case.expected.shape:
        return f"your output has shape {tuple(outcome.output.shape)}, expected {tuple(case.expected.shape)}"
    return None


def value_problem(case, outcome, tolerance):
    """Why the outcome's values are wrong (student-facing), or None when shape and values are right."""
    problem = shape_problem(case, outcome)
    if problem:
        return problem
    yours = outcome.output.astype(np.float64)
    expected = case.expected.astype(np.float64)
    close = np.isclose(yours, expected, rtol=tolerance.rtol, atol=tolerance.atol)
    if close.all():
        return None
    index = tuple(int(i) for i in np.argwhere(~close)[0])
    return (f"{int((~close).sum())} of {close.size} values differ; the first at index {index}: "
            f"yours {yours[index]:.6g}, expected {expected[index]:.6g}")


class ConvScoring(GradedCase):
    """What the public and the hidden conv2d parts share: the forbidden-API check and the scoring of a case set."""

    def forbidden_message(self):
        """As GradedCase's, once the public cases have run (the run-time trap needs conv2d to have been called)."""
        self.session.conv_outcomes("public")
        return super().forbidden_message()

    def score_cases(self, set_name, check, points, set_score, show_details):
        """Score the fraction of cases `check` accepts; explain the smallest failing one."""
        if self.forbidden_message():
            set_score(0)
            self.say(self.forbidden_message())
            return
        cases = self.session.conv_cases(set_name)
        outcomes = self.session.conv_outcomes(set_name)
        failures = [(case, outcome, problem) for case, outcome in zip(cases, outcomes)
                    if (problem := check(case, outcome))]
        right = len(cases) - len(failures)
        set_score(points * right / len(cases))
        self.say(f"{right} of {len(cases)} cases right.")
        if not failures:
            return
        mistakes = Counter(m for case, outcome, _ in failures
                           if outcome.output is not None and (m := diagnose(case, outcome.output)))
        if mistakes:
            mistake, count = mistakes.most_common(1)[0]
            self.session.note_diagnosis(mistake.name)
            self.say(f"**Likely mistake** ({count} of the failing cases match it): {mistake.explanation}")
        problems = {problem for _, _, problem in failures}
        # Text that hidden cases produced is shown only if a public case produced it too: the student's code could
        # otherwise put hidden inputs into an exception message.
        shown_before = show_details or problems <= {o.problem for o in self.session.conv_outcomes("public")}
        if len(failures) == len(cases) and len(problems) == 1 and shown_before:
            self.say(f"Every case failed the same way: {problems.pop()}")
        elif show_details:
            case, _, problem = min(failures, key=lambda f: f[0].inputs.size + f[0].filters.size)
            self.say(f"Smallest failing case: {case_text(case)}: {problem}.")


class Conv2D(ConvScoring):

    @weight(0)
    @number("2.1")
    def test_rules(self):
        """conv2d rule: no library convolution"""
        self.assert_no_library_convolution()
        self.say("No library convolution found in conv2d.")

    @partial_credit(CONFIG.points.conv2d_shapes)
    @number("2.2")
    def test_public_shapes(self, set_score=None):
        """conv2d: output shapes (public cases)"""
        self.score_cases("public", shape_problem, CONFIG.points.conv2d_shapes, set_score, show_details=True)
        printed = self.session.public_output.strip()
        if printed:
            shown = printed if len(printed) <= PRINTED_CHARS else printed[:PRINTED_CHARS] + "\n..."
            self.say(f"Your code printed (up to the end of the public cases):\n```\n{shown}\n```")

    @partial_credit(CONFIG.points.conv2d_values)
    @number("2.3")
    def test_public_values(self, set_score=None):
        """conv2d: output values (public cases)"""
        check = lambda case, outcome: value_problem(case, outcome, CONFIG.tolerance)
        self.score_cases("public", check, CONFIG.points.conv2d_values, set_score, show_details=True)


class Conv2DHidden(ConvScoring):
    """Runs after every other part (see cases.all_cases): once the student's code has seen a hidden input, nothing
    it says (exception messages, prints) is shown any more."""

    @partial_credit(CONFIG.points.conv2d_hidden)
    @visibility(CONFIG.hidden_visibility)
    @number("2.4")
    def test_hidden(self, set_score=None):
        """conv2d: shapes and values (hidden cases)"""
        check = lambda case, outcome: value_problem(case, outcome, CONFIG.tolerance)
        self.score_cases("hidden", check, CONFIG.points.conv2d_hidden, set_score, show_details=False)
