"""The graded cases: what students are scored on.

Each part is a `unittest.TestCase` whose test methods carry gradescope-utils' declarative metadata (`@weight` or
`@partial_credit`, `@number`, `@visibility`). They are run by `autograder.runner`, which reads that metadata and turns
each method into one Gradescope test. A method talks to the student's code only through `self.session` (see
`autograder.grade.GradingSession`), never by importing it.
"""
import unittest

FORBIDDEN_MESSAGE = ("conv2d must be written by hand in NumPy, but it calls a library convolution ({apis}). "
                     "The conv2d parts and the performance part score 0; your instructor has been notified.")


class GradedCase(unittest.TestCase):
    session = None        # set by the runner before a method runs
    longMessage = False   # a failed assertion shows only our message, not "False is not true : ..."

    def __init__(self, method_name):
        super().__init__(method_name)
        self.feedback = []

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
    from autograder.cases.conv2d import ArgumentForms, Conv2D, Conv2DHidden
    from autograder.cases.performance import Performance
    from autograder.cases.model import Model
    return [OutputSize, Conv2D, ArgumentForms, Performance, Model, Conv2DHidden]
