"""The graded cases: what students are scored on.

Each part is a `unittest.TestCase` whose test methods carry their declarative metadata: gradescope-utils' `@number`,
and `@scored`, which names the config fields of the test's points and visibility. `autograder.runner` reads both and
turns each method into one Gradescope test, with the points and visibility of the grading's own config (read when the
test runs, not when this package is imported: `GradingSession(config=...)` grades with a course's settings). A method
talks to the student's code, and reads settings, only through `self.session` (see `autograder.grade.GradingSession`;
`self.config` is its config), never by importing either.
"""
import unittest

FORBIDDEN_MESSAGE = ("conv2d calls a library convolution ({apis}), and the assignment asks you to compute the "
                     "convolution yourself, so the conv2d parts and the performance part score 0.")


def scored(points, partial=True, visibility=None):
    """A graded test's metadata, read by the runner from the grading's config when the test runs.

    points: the name of a field of `config.points` (or a fixed number, e.g. 0 for a rule shown but not scored);
    partial: the method takes `set_score` and scores a fraction of its points (as gradescope-utils' @partial_credit);
             otherwise it earns all of them when it passes (as @weight);
    visibility: the name of the Config field holding its Gradescope visibility ("visible" when None).
    """
    def mark(function):
        function.__points__ = points
        function.__partial__ = partial
        function.__visibility_field__ = visibility
        return function
    return mark


def max_points(function, config):
    """The points of a test method under `config` (gradescope-utils' @weight/@partial_credit are read too)."""
    points = getattr(function, "__points__", None)
    if points is None:
        return float(getattr(function, "__weight__", 0))
    return float(getattr(config.points, points) if isinstance(points, str) else points)


def visibility(function, config):
    """The Gradescope visibility of a test method under `config`."""
    field = getattr(function, "__visibility_field__", None)
    return getattr(config, field) if field else getattr(function, "__visibility__", "visible")


class GradedCase(unittest.TestCase):
    session = None        # set by the runner before a method runs
    longMessage = False   # a failed assertion shows only our message, not "False is not true : ..."

    def __init__(self, method_name):
        super().__init__(method_name)
        self.feedback = []

    @property
    def config(self):
        """The grading's settings (points, tolerance, budgets): the session's, never the module-global CONFIG."""
        return self.session.config

    def forbidden_message(self):
        """The student-facing message when conv2d used a library convolution (static or run-time finding), or ""."""
        apis = self.session.forbidden_apis()
        return FORBIDDEN_MESSAGE.format(apis=", ".join(apis)) if apis else ""

    def assert_no_library_convolution(self):
        self.assertFalse(self.forbidden_message(), self.forbidden_message())

    def say(self, markdown):
        """Add a paragraph of student-facing Markdown to this test's output (shown whether it passes or not)."""
        self.feedback.append(markdown)


def all_cases():
    """The case classes, in the order they run. The hidden conv2d cases (2.4) run last, so no text from the student's
    code reaches any part after them; results are listed by test number."""
    from autograder.cases.output_size import OutputSize
    from autograder.cases.conv2d import ArgumentForms, HiddenConvolution, PublicConvolution
    from autograder.cases.performance import Performance
    from autograder.cases.model import Model
    return [OutputSize, PublicConvolution, ArgumentForms, Performance, Model, HiddenConvolution]
