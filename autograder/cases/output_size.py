"""Part 1: conv_output_size over sizes, filters, strides and every padding mode."""
import numpy as np
from gradescope_utils.autograder_utils.decorators import number

from autograder import fixture_files
from autograder.cases import GradedCase, scored
from autograder.runner import error_summary
from autograder.sandbox import StudentError


def describe(case):
    return (f"`conv_output_size(in_size={case['in_size']}, filter_size={case['filter_size']}, "
            f"stride={case['stride']}, padding={case['padding']!r})`")


def as_int(value):
    """value if it is a whole number of an integer type (Python or NumPy), else None. 3.0 is not: use //."""
    if isinstance(value, np.ndarray) and value.shape == () and np.issubdtype(value.dtype, np.integer):
        return int(value)
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    return None


class OutputSize(GradedCase):

    @scored("output_size")
    @number("1.1")
    def test_output_size(self, set_score=None):
        """conv_output_size: SAME, VALID and explicit padding"""
        cases = fixture_files.load_output_size_cases()
        wrong = []
        for case in cases:
            try:
                reply = self.session.call("convolution", "conv_output_size", case["in_size"], case["filter_size"],
                                          case["stride"], case["padding"])
                answer = as_int(reply.value)
                shown = f"`{reply.value!r}`"
            except StudentError as error:
                if error.kind != "exception":
                    raise
                answer, shown = None, f"an error: {error_summary(error.message)}"
            if answer != case["expected"]:
                wrong.append((case, shown))
        right = len(cases) - len(wrong)
        set_score(self.config.points.output_size * right / len(cases))
        self.say(f"{right} of {len(cases)} cases right.")
        if wrong:
            case, shown = wrong[0]
            hint = ""
            if case["padding"] == "SAME":
                hint = " With SAME padding the output size is ceil(in_size / stride), whatever the filter size."
            elif case["padding"] == "VALID":
                hint = " With VALID padding it is ceil((in_size - filter_size + 1) / stride), and 0 if it does not fit."
            else:
                hint = " With p zeros on each side it is floor((w - f + 2p) / s) + 1 (lecture), and 0 if it does not fit."
            self.say(f"For example {describe(case)} should return `{case['expected']}`; yours gave "
                     f"{shown}.{hint}")
