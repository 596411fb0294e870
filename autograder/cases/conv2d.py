"""Part 2: conv2d against outputs tf.nn.conv2d produced ahead of time, on public and hidden cases.

The parts that score the convolution (2.2-2.4) call conv2d in one canonical form (config.canonical_strides, padding
"SAME"/"VALID", float32; see autograder/forms.py), or in the strides form the public cases settled on when the canonical
one fails there (GradingSession._settle_form); part 2.5 scores the argument forms themselves.

Public cases may be shown to the student in full (shapes, stride, padding, the first wrong value); hidden cases are
only ever counted, and at most the name of a known mistake is said about them.

A "likely mistake" is named only when it explains most of the failing cases: at least half of them and at least
HEADLINE_MIN_CASES (the README says so); otherwise the feedback says that no known mistake explains them.
"""
from collections import Counter

import numpy as np
from gradescope_utils.autograder_utils.decorators import number

from autograder import forms
from autograder.cases import GradedCase, scored
from autograder.mistakes import FORM_DIAGNOSES, diagnose_all
from autograder.tolerance import same_output

PRINTED_CHARS = 2000
HEADLINE_MIN_CASES = 3           # a likely mistake must explain at least this many failing cases...
HEADLINE_MIN_SHARE = 0.5         # ...and at least this share of them


def case_text(case, strides=None, inputs=None, padding=None):
    """The call as the student's conv2d received it."""
    inputs = case.inputs if inputs is None else inputs
    padding = case.padding if padding is None else padding
    note = forms.given_note(case) if inputs is case.inputs and padding is case.padding else ""
    return (f"inputs {tuple(inputs.shape)} ({inputs.dtype}), filters {tuple(case.filters.shape)}, "
            f"strides {case.strides if strides is None else strides}, padding {padding!r}{note}")


def headline(mistakes, failing):
    """(mistake, count) when the most common known mistake explains most of the `failing` cases, else None."""
    if not mistakes:
        return None
    mistake, count = mistakes.most_common(1)[0]
    if count >= HEADLINE_MIN_CASES and count >= HEADLINE_MIN_SHARE * failing:
        return mistake, count
    return None


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
        rescued = [outcome for outcome in outcomes if outcome.canonical is not None]
        if rescued:
            used = sorted({forms.FORM_TEXT[outcome.form] for outcome in rescued})
            self.say(f"{len(rescued)} of these cases {'was' if len(rescued) == 1 else 'were'} wrong or raised with "
                     f"strides as {forms.FORM_TEXT[rescued[0].canonical.form]} and right with strides as "
                     f"{' or '.join(used)}: counted right here, because the convolution is right. Part 2.5 checks "
                     "the argument forms tf.nn.conv2d accepts.")
        if not failures:
            return
        mistakes = Counter(mistake for case, outcome, _ in failures if outcome.output is not None
                           for mistake in diagnose_all(case, outcome.output, self.config.tolerance))
        named = headline(mistakes, len(failures))
        if named:
            mistake, count = named
            if set_name == "public":     # hidden results are counted, never used to choose the headline
                self.session.note_diagnosis(mistake.name, points * count / len(cases))
            self.say(f"**Likely mistake** ({count} of the {len(failures)} failing cases match it): "
                     f"{mistake.explanation}")
        elif mistakes:
            self.say(f"No known mistake explains most of the {len(failures)} failing cases (a mistake is named when "
                     f"it explains at least half of them and at least {HEADLINE_MIN_CASES}).")
        problems = {problem for _, _, problem in failures}
        # Text that hidden cases produced is shown only if a public case produced it too: the student's code could
        # otherwise put hidden inputs into an exception message.
        shown_before = show_details or problems <= {o.problem for o in self.session.conv_outcomes("public")}
        if len(failures) == len(cases) and len(problems) == 1 and shown_before:
            self.say(f"Every case failed the same way: {problems.pop()}")
        elif show_details:
            case, _, problem = min(failures, key=lambda f: f[0].inputs.size + f[0].filters.size)
            self.say(f"Smallest failing case: {case_text(case)}: {problem}.")


class PublicConvolution(ConvScoring):

    @scored("conv2d_rule", partial=False)
    @number("2.1")
    def test_rules(self):
        """conv2d rule: no library convolution"""
        self.session.static_findings()
        if self.session.static_check_fault:    # the runner reports a grader fault for this part alone
            raise RuntimeError(f"the static check failed:\n{self.session.static_check_fault}")
        self.assert_no_library_convolution()
        self.assertFalse(self.session.static_unparsable, "Not checked: convolution.py is not valid Python "
                         f"({self.session.static_unparsable}), so nothing of conv2d could be read.")
        calls = ", ".join(self.session.library_calls())
        if calls and self.config.numpy_only:
            self.fail(f"conv2d uses TensorFlow ({calls}), and this course's rule is NumPy only in conv2d, so this "
                      "part scores 0. The other conv2d parts graded its arithmetic as usual, running these calls "
                      "as their NumPy equivalents.")
        self.say("No library convolution found in conv2d.")
        if calls:
            self.say(f"conv2d uses TensorFlow's array helpers ({calls}). They compute no convolution, so they are "
                     "allowed; the conv2d parts ran them as their NumPy equivalents, since they are graded without "
                     "TensorFlow.")

    @scored("conv2d_shapes")
    @number("2.2")
    def test_public_shapes(self, set_score=None):
        """conv2d: output shapes (public cases)"""
        self.score_cases("public", shape_problem, self.config.points.conv2d_shapes, set_score, show_details=True)
        printed = self.session.public_output.strip()
        if printed:
            shown = printed if len(printed) <= PRINTED_CHARS else printed[:PRINTED_CHARS] + "\n..."
            self.say(f"Your code printed (up to the end of the public cases):\n```\n{shown}\n```")

    @scored("conv2d_values")
    @number("2.3")
    def test_public_values(self, set_score=None):
        """conv2d: output values (public cases)"""
        check = lambda case, outcome: value_problem(case, outcome, self.config.tolerance)
        self.score_cases("public", check, self.config.points.conv2d_values, set_score, show_details=True)


class HiddenConvolution(ConvScoring):
    """Runs after every other part (see cases.all_cases): once the student's code has seen a hidden input, nothing
    it says (exception messages, prints) is shown any more."""

    @scored("conv2d_hidden", visibility="hidden_visibility")
    @number("2.4")
    def test_hidden(self, set_score=None):
        """conv2d: shapes and values (hidden cases)"""
        check = lambda case, outcome: value_problem(case, outcome, self.config.tolerance)
        self.score_cases("hidden", check, self.config.points.conv2d_hidden, set_score, show_details=False)


# Part 2.5: each argument form tf.nn.conv2d accepts, on a few public cases.
STRIDE_FORM_CASES = 3


def form_checks(cases, right=()):
    """[(form name, student-facing label, [(case index, strides or None, inputs or None, padding or None)])]: the
    calls of part 2.5. None means: as the case is (canonical), or strides in the form the student's conv2d works with.
    """
    right = set(right)        # indices of the cases the student's conv2d got right: checked first
    plain = [(index, case) for index, case in enumerate(cases)
             if isinstance(case.given.padding, str) and case.given.inputs.dtype == np.float32
             and case.expected.size]

    def pick(predicate):
        chosen = [(index, case) for index, case in plain if predicate(forms.stride_pair(case.strides))]
        # strides > 1 first (a stride of 1 reads the same in most conventions), then the smallest cases
        chosen.sort(key=lambda item: (item[0] not in right, forms.stride_pair(item[1].strides) == (1, 1),
                                      item[1].inputs.size))
        return chosen[:STRIDE_FORM_CASES - 1] + [item for item in chosen if
                                                 forms.stride_pair(item[1].strides) == (1, 1)][:1]

    checks = []
    for form in ("int", "single", "pair", "nhwc"):
        square = form in ("int", "single")
        chosen = pick(lambda pair: pair[0] == pair[1] or not square)
        if form == "pair":       # unequal strides where possible
            unequal = [item for item in plain if len(set(forms.stride_pair(item[1].strides))) == 2][:1]
            chosen = unequal + [item for item in chosen if item not in unequal][:STRIDE_FORM_CASES - 1]
        calls = [(index, forms.stride_argument(forms.stride_pair(case.strides), form), None, None)
                 for index, case in chosen]
        checks.append((form, f"strides as {forms.FORM_TEXT[form]}", calls))
    explicit = sorted([(index, None, case.given.inputs.astype(np.float32), case.given.padding)
                       for index, case in enumerate(cases) if not isinstance(case.given.padding, str)],
                      key=lambda call: call[0] not in right)
    checks.append(("explicit", "explicit padding [[0, 0], [top, bottom], [left, right], [0, 0]]",
                   explicit[:STRIDE_FORM_CASES]))
    for dtype, label in (("int32", "int32 inputs and filters"), ("float64", "float64 inputs and filters")):
        typed = sorted([(index, None, case.given.inputs, case.given.padding) for index, case in enumerate(cases)
                        if case.given.inputs.dtype == dtype and isinstance(case.given.padding, str)],
                       key=lambda call: call[0] not in right)
        checks.append((dtype, label, typed[:STRIDE_FORM_CASES]))
    return checks


class ArgumentForms(GradedCase):
    """Runs with the public cases (before the hidden ones): everything it shows comes from public inputs."""

    @scored("conv2d_forms")
    @number("2.5")
    def test_argument_forms(self, set_score=None):
        """conv2d: the argument forms tf.nn.conv2d accepts (public cases)"""
        session = self.session
        cases = session.conv_cases("public")
        outcomes = session.conv_outcomes("public")
        if self.forbidden_message():
            set_score(0)
            self.say(self.forbidden_message())
            return
        right = [index for index, (case, outcome) in enumerate(zip(cases, outcomes)) if session.is_right(case, outcome)]
        results = []                 # (form, label, verdict "accepted"|"rejected"|"unchecked", detail)
        for form, label, calls in form_checks(cases, right):
            verdict, detail, shown_right = "unchecked", "", False
            for index, strides, inputs, padding in calls:
                case, scored = cases[index], outcomes[index]
                if scored.output is None:
                    continue         # raised in every form: says nothing about this form
                if strides is None:
                    strides = session.stride_argument(forms.stride_pair(case.strides))
                if inputs is not None and case.given.inputs.dtype != np.float32:
                    filters = case.given.filters
                else:
                    filters = None
                outcome = session.call_conv(case if filters is None else _with_filters(case, filters), strides,
                                            inputs=inputs, padding=padding)
                if outcome.output is not None and session.is_right(case, outcome):
                    verdict, shown_right = "accepted", True
                    continue
                if outcome.output is not None and same_output(outcome.output, scored.output, self.config.tolerance):
                    verdict = "accepted"    # the same (wrong) answer as in the form that works: not a form problem
                    continue
                why = outcome.problem or (
                    f"your output has shape {tuple(outcome.output.shape)}, expected {tuple(case.expected.shape)}"
                    if outcome.output.shape != case.expected.shape else
                    "the values differ from your answer to the same case in the form that works")
                shown = case_text(case, strides=strides, inputs=inputs if inputs is not None else case.inputs,
                                  padding=padding if padding is not None else case.padding)
                verdict, detail = "rejected", f"{shown}: {why}"
                break
            if verdict == "accepted" and not shown_right:
                # a form counts only once it gave a right answer: a conv2d that is wrong everywhere (or returns
                # zeros) gains nothing here
                verdict = "unchecked"
            results.append((form, label, verdict, detail))
        accepted = [label for _, label, verdict, _ in results if verdict == "accepted"]
        set_score(self.config.points.conv2d_forms * len(accepted) / len(results))
        self.say(f"{len(accepted)} of {len(results)} argument forms work with your conv2d.")
        lines = []
        for _, label, verdict, detail in results:
            if verdict == "accepted":
                lines.append(f"- {label}: right")
            elif verdict == "rejected":
                lines.append(f"- {label}: **rejected**: {detail}")
            else:
                lines.append(f"- {label}: not shown (your conv2d gave no right output on these cases in any form)")
        self.say("\n".join(lines))
        verdicts = {form: verdict for form, _, verdict, _ in results}
        strides_ok = [form for form in ("int", "single", "pair", "nhwc") if verdicts[form] == "accepted"]
        diagnosis = None
        if strides_ok == ["nhwc"]:
            diagnosis = "strides_four_element_only"
        elif strides_ok == ["pair"]:
            diagnosis = "strides_pair_only"
        if diagnosis:
            session.note_diagnosis(diagnosis, self.config.points.conv2d_forms * (len(results) - len(accepted))
                                   / len(results))
            self.say(f"**Likely mistake**: {FORM_DIAGNOSES[diagnosis]}")


def _with_filters(case, filters):
    from dataclasses import replace
    return replace(case, filters=filters)
