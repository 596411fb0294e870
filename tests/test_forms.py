"""Issue 11: the convolution graded in one canonical argument form, the forms in a part of their own (2.5), honest
headline diagnoses, errors a student can act on, and parts that stand alone."""
import sys
from collections import Counter

import numpy as np
import pytest

from autograder import fixture_files, forms
from autograder.cases.conv2d import HEADLINE_MIN_CASES, headline
from autograder.config import CONFIG
from autograder.grade import grade_submission
from autograder.mistakes import MISTAKES_BY_NAME
from autograder.reference import reference_conv2d
from autograder.runner import error_summary, strip_ansi
from conftest import ROOT

STYLES = ROOT / "tests" / "catalogue" / "styles"
sys.path.insert(0, str(ROOT / "autograder" / "sandbox"))
import worker  # noqa: E402  (the sandbox worker's own error formatting, standalone)


def test_points_still_total_100():
    points = CONFIG.points
    assert sum(vars(points).values()) == 100 and points.conv2d_forms > 0


@pytest.mark.parametrize("pair", [(1, 1), (2, 2), (1, 2), (3, 1)])
def test_every_form_says_the_same_pair(pair):
    for form in forms.STRIDE_FORMS:
        argument = forms.stride_argument(pair, form)
        if argument is None:
            assert form in ("int", "single") and pair[0] != pair[1]
        else:
            assert forms.stride_pair(argument) == pair and forms.form_of(argument) == form


def test_canonical_cases_expect_what_the_fixtures_expect():
    """Explicit padding applied by the grader + VALID, float32 arrays, strides [1, s_h, s_w, 1]: same answer."""
    for case in fixture_files.load_conv_cases("public"):
        canonical = forms.canonical_case(case, "nhwc")
        assert canonical.padding in ("SAME", "VALID") and len(canonical.strides) == 4
        assert canonical.inputs.dtype == canonical.filters.dtype == np.float32
        computed = reference_conv2d(canonical.inputs, canonical.filters, canonical.strides, canonical.padding)
        assert computed.shape == case.expected.shape
        assert np.allclose(computed, case.expected, rtol=1e-4, atol=1e-4), case.description


def test_a_headline_needs_most_of_the_failing_cases_and_at_least_three():
    mistake = MISTAKES_BY_NAME["stride_ignored"]
    assert headline(Counter({mistake: 2}), failing=2) is None            # 1-2 coincidences are no headline
    assert headline(Counter({mistake: 3}), failing=7) is None            # under half
    assert headline(Counter({mistake: HEADLINE_MIN_CASES}), failing=6) == (mistake, 3)
    assert headline(Counter(), failing=5) is None


def keras_like_failure():
    """What Keras 3 raises from a layer's call(): the same class, a bold ANSI copy of the message, `from None`."""
    def call(strides):
        return strides[3]
    try:
        try:
            call([2])
        except IndexError as error:
            raise IndexError("Exception encountered when calling ManualConv2d.call().\n\n\x1b[1m"
                             f"{error}\x1b[0m\n\nArguments received by ManualConv2d.call():\n  • inputs=...") from None
    except IndexError as wrapped:
        return wrapped


def test_the_root_cause_is_found_behind_a_wrapper_and_ansi_codes_go():
    text = worker.student_error_text(keras_like_failure())
    assert text.splitlines()[0] == "IndexError: list index out of range"
    assert "\x1b" not in text and "Exception encountered" not in text
    assert "return strides[3]" in text          # the line in the student's (here: this) file


def test_a_students_own_message_is_kept():
    try:
        try:
            [][1]
        except IndexError:
            raise ValueError("strides must have 4 elements") from None
    except ValueError as error:
        assert worker.student_error_text(error).splitlines()[0] == "ValueError: strides must have 4 elements"


def test_error_summary_names_the_line_in_the_students_file():
    message = ("IndexError: list index out of range\n"
               '  File "convolution.py", line 12, in conv2d\n'
               "    sh, sw = strides[1], strides[2]")
    assert error_summary(message) == ("`IndexError: list index out of range` at convolution.py, line 12 "
                                      "(`sh, sw = strides[1], strides[2]`)")
    assert strip_ansi("\x1b[1mbold\x1b[0m") == "bold"


def scores(result):
    return {test.number: test.score for test in result.tests}


def maxima(result):
    return {test.number: test.max_score for test in result.tests}


@pytest.mark.slow
def test_right_arithmetic_in_the_four_element_form_only_loses_only_the_forms_part():
    result = grade_submission(STYLES / "reads_strides_1_and_2")
    got, top = scores(result), maxima(result)
    for number in ("1.1", "2.2", "2.3", "2.4", "3.1"):
        assert got[number] == top[number], (number, got)
    assert 0 < got["2.5"] < top["2.5"]
    assert result.diagnosis == "strides_four_element_only"
    forms_output = next(test.output for test in result.tests if test.number == "2.5")
    assert "strides as an int s: **rejected**" in forms_output and "convolution.py, line" in forms_output


HANGS_ON_THE_PERFORMANCE_LAYER = '''
import time
import numpy as np


def conv_output_size(in_size, filter_size, stride=1, padding="VALID"):
    return 0


def conv2d(inputs, filters, strides, padding):
    x, f = np.asarray(inputs, np.float32), np.asarray(filters, np.float32)
    if x.shape[0] == 100 and HANG:
        time.sleep(600)
    n, h, w, _ = x.shape
    kh, kw, _, k = f.shape
    if padding != "VALID" or list(strides) != [1, 1, 1, 1] or h < kh or w < kw:
        raise ValueError("only stride 1 VALID")
    out = np.zeros((n, h - kh + 1, w - kw + 1, k), np.float32)
    for i in range(h - kh + 1):
        for j in range(w - kw + 1):
            out[:, i, j] = np.tensordot(x[:, i:i + kh, j:j + kw], f, axes=3)
    return out
'''


@pytest.mark.slow
def test_a_performance_timeout_costs_the_hidden_cases_nothing(tmp_path):
    """Every part stands alone: the hidden part scores what the hidden cases give on their own."""
    hangs, plain = tmp_path / "hangs", tmp_path / "plain"
    for folder, hang in ((hangs, True), (plain, False)):
        folder.mkdir()
        (folder / "convolution.py").write_text(f"HANG = {hang}\n" + HANGS_ON_THE_PERFORMANCE_LAYER)
    hung, alone = grade_submission(hangs), grade_submission(plain)
    assert "timeout" in hung.flags and scores(hung)["3.1"] == 0
    assert 0 < scores(alone)["2.4"] < maxima(alone)["2.4"]
    assert scores(hung)["2.4"] == scores(alone)["2.4"]
