"""Each known mistake is exposed by a public case and named by diagnose; right or random answers name nothing."""
from collections import Counter

import numpy as np
import pytest

from autograder import fixture_files, mistakes, runner
from autograder.config import CONFIG
from autograder.fixture_files import load_conv_cases
from autograder.grade import Outcome
from autograder.mistakes import MISTAKES, MISTAKES_BY_NAME, Mistake, diagnose, exposed
from autograder.reference import reference_conv2d

PUBLIC = load_conv_cases("public")


def _differs(first, second):
    return first.shape != second.shape or not np.allclose(first, second, rtol=CONFIG.tolerance.rtol,
                                                                 atol=CONFIG.tolerance.atol)


@pytest.mark.parametrize("mistake", MISTAKES, ids=lambda mistake: mistake.name)
def test_some_public_case_exposes_and_names_the_mistake(mistake):
    named_on = []
    for case in PUBLIC:
        mistaken = mistake.compute(case.inputs, case.filters, case.strides, case.padding)
        if _differs(mistaken, case.expected) and diagnose(case, mistaken) is mistake:
            named_on.append(case.id)
    assert named_on, f"no public case exposes {mistake.name} and names it"


@pytest.mark.parametrize("mistake", MISTAKES, ids=lambda mistake: mistake.name)
def test_exposed_lists_the_mistakes_a_case_can_show(mistake):
    for case in PUBLIC:
        mistaken = mistake.compute(case.inputs, case.filters, case.strides, case.padding)
        assert (mistake in [found for found, _ in exposed(case)]) == _differs(mistaken, case.expected), case.id


def test_known_cases_name_the_expected_mistake():
    cases = {case.id: case for case in PUBLIC}
    # REFERENCE §1: a 2x2 kernel on a 5x5 input with SAME; symmetric padding gives a 4x4 output.
    even_kernel = cases["public002"]
    wrong = MISTAKES_BY_NAME["symmetric_same_padding"].compute(
        even_kernel.inputs, even_kernel.filters, even_kernel.strides, even_kernel.padding)
    assert wrong.shape[1:3] == (4, 4)
    assert diagnose(even_kernel, wrong).name == "symmetric_same_padding"
    # The lecture's edge example convolved with the kernel flipped.
    edges = cases["lecture_edges"]
    flipped = MISTAKES_BY_NAME["flipped_kernel"].compute(edges.inputs, edges.filters, 1, "VALID")
    assert diagnose(edges, flipped).name == "flipped_kernel"


def test_correct_output_names_nothing():
    for case in PUBLIC:
        assert diagnose(case, case.expected) is None, case.id
        assert diagnose(case, case.expected.astype(np.float64) + 1e-6) is None, case.id


def test_garbage_names_nothing():
    rng = np.random.default_rng(0)
    for case in PUBLIC:
        assert diagnose(case, rng.standard_normal(case.expected.shape)) is None, case.id
        assert diagnose(case, np.zeros((2, 3))) is None, case.id
        assert diagnose(case, "not an array") is None, case.id
        assert diagnose(case, None) is None, case.id


def test_an_all_zero_answer_names_nothing():
    # Truncating small sums toward zero gives zeros too: an output never written is not an integer buffer.
    cases_where_truncation_gives_zeros = 0
    for case in PUBLIC:
        truncated = MISTAKES_BY_NAME["integer_output_buffer"].compute(
            case.inputs, case.filters, case.strides, case.padding)
        cases_where_truncation_gives_zeros += truncated.size > 0 and not truncated.any() and case.expected.any()
        assert diagnose(case, np.zeros_like(case.expected)) is None, case.id
    assert cases_where_truncation_gives_zeros > 0, "no public case where the old rule would have misnamed zeros"


def test_a_mistake_that_makes_no_difference_is_not_evidence():
    # C_in = 1: "first input channel only" computes the right answer, so it must never be named there.
    case = next(case for case in PUBLIC if case.inputs.shape[3] == 1 and case.id.startswith("public"))
    same = MISTAKES_BY_NAME["first_input_channel_only"].compute(case.inputs, case.filters, case.strides, case.padding)
    assert not _differs(same, case.expected)
    assert diagnose(case, same) is None


def test_explanations_are_short_sentences():
    for mistake in MISTAKES:
        assert mistake.explanation.startswith("Your") and 40 < len(mistake.explanation) < 400, mistake.name
    assert len(MISTAKES_BY_NAME) == len(MISTAKES)


class FakeSession:
    """What the conv2d part reads of a GradingSession, with the student's outputs given (no worker, no sandbox)."""

    def __init__(self, outputs):
        self.config, self.public_output, self.diagnoses = CONFIG, "", []
        self.outcomes = [Outcome(output=output, form="nhwc") for output in outputs]

    def conv_cases(self, set_name):
        return PUBLIC

    def conv_outcomes(self, set_name):
        return self.outcomes

    def forbidden_apis(self):
        return []

    def note_diagnosis(self, name, points_lost):
        self.diagnoses.append(name)


def test_a_new_mistake_is_one_entry_in_mistakes_py_no_fixture_rebuild(monkeypatch):
    """Adding a known mistake: its function and its MISTAKES entry (here added at run time). The grading names it
    at once, from the cases' inputs: the fixture files and fixture_hash() (the version resumed batches compare)
    stay as they are."""
    from autograder.cases.conv2d import PublicConvolution   # here, not at the top: pytest would collect the TestCase
    hash_before = fixture_files.fixture_hash()
    files_before = fixture_files.content_hash()
    doubled = Mistake("doubled_values", "Your values are twice the right ones.",
                      lambda inputs, filters, strides, padding: 2 * reference_conv2d(inputs, filters, strides, padding))
    monkeypatch.setattr(mistakes, "MISTAKES", mistakes.MISTAKES + (doubled,))
    student = [2 * case.expected.astype(np.float64) for case in PUBLIC]
    assert sum(diagnose(case, output) is doubled for case, output in zip(PUBLIC, student)) >= 30
    session = FakeSession(student)
    result, log = runner.run_test(PublicConvolution, "test_public_values", session)
    assert not log and result.score < result.max_score / 4     # 2x is right only where the output is 0 or empty
    assert "**Likely mistake**" in result.output and doubled.explanation in result.output
    assert session.diagnoses == ["doubled_values"]
    assert fixture_files.fixture_hash() == hash_before and fixture_files.content_hash() == files_before


def test_the_headline_is_the_costliest_arithmetic_mistake_not_a_note_on_the_forms():
    """Four real files read strides as [1, s_h, s_w, 1] only (2.5, at most 5 points) and got SAME padding wrong at
    stride > 1 (many more points in 2.2 and 2.3): the headline must name the padding."""
    from autograder.grade import GradingSession
    session = GradingSession.__new__(GradingSession)
    session.diagnoses = Counter()
    session.note_diagnosis("strides_four_element_only", 3.75)
    assert session.headline_diagnosis() == "strides_four_element_only"
    session.note_diagnosis("symmetric_same_padding", 1.2)            # cheaper, but about the arithmetic
    assert session.headline_diagnosis() == "symmetric_same_padding"
    session.note_diagnosis("stride_ignored", 0.8)
    session.note_diagnosis("stride_ignored", 0.8)                    # named in 2.2 and in 2.3: the costs add up
    assert session.headline_diagnosis() == "stride_ignored"
