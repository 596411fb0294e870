"""Grading one submission, from a path to a `SubmissionResult` and its results.json.

    submission path -> intake.stage -> GradingSession (owns the sandboxed worker) -> runner.run_cases -> result

The grading process never imports the student's code, nor TensorFlow: the student's functions run in a sandboxed
worker (`autograder.sandbox`), and expected outputs come from fixtures tf.nn.conv2d made ahead of time.
"""
import hashlib
import re
import secrets
import tempfile
import time
import traceback
from collections import Counter
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np

from autograder import __version__, fixture_files, forms, intake, notebooks, rules, stand_ins
from autograder.cases import FORBIDDEN_MESSAGE, all_cases
from autograder.cases.model import graded_digits
from autograder.config import CONFIG
from autograder.mistakes import FORM_DIAGNOSES
from autograder.tolerance import same_output
from autograder import report
from autograder.results import SubmissionResult
from autograder.runner import blank_result, error_summary, number_key, run_cases, test_methods
from autograder.sandbox import IsolationUnavailable, StudentError, Worker, identity

# What the NumPy-only worker's stand-ins raise (autograder/stand_ins/_forbidden_library.py).
# (a notebook's place, once located: "called in hw.ipynb, cell 3, line 2")
FORBIDDEN_LIBRARY_USE = re.compile(
    r"ForbiddenLibraryError: `(?P<api>[\w.()]+)` (?:called|used) in [^,\n]+,(?P<cell> cell \d+,)? line (?P<line>\d+)")
# "convolution.py, line 23" and traceback lines' 'File "convolution.py", line 23' (see GradingSession.located)
STUDENT_PLACE = re.compile(r'(?P<module>convolution|assignment)\.py(?P<quote>"?), line (?P<line>\d+)')
MISSING_NAME = re.compile(r"module '(?P<module>\w+)' has no attribute '(?P<name>\w+)'")
FLAG_OF_KIND = {"timeout": "timeout", "memory": "memory", "died": "crashed", "protocol": "crashed",
                "import": "import-error"}


@dataclass
class Outcome:
    """What one call of the student's conv2d gave: an output array, or a student-facing problem."""
    output: object = None       # np.ndarray of real numbers, or None
    problem: str = ""           # why there is no usable output ("raised ValueError: ...", "timed out ...")
    raised: bool = False        # the problem is an exception raised by the student's code (another form may work)
    form: str = ""              # the strides form of the call that gave this outcome (forms.STRIDE_FORMS)
    canonical: object = None    # when another form gave the right output: the Outcome of the canonical call


def version(config=CONFIG):
    """Identifies the grading: code version and fixture content, and the settings when they are not the defaults
    (resumed batches regrade when it changes)."""
    settings = "" if config == CONFIG else "+config." + hashlib.sha256(repr(config).encode()).hexdigest()[:8]
    return f"{__version__}+{fixture_files.fixture_hash()[:12]}{settings}"


class GradingSession:
    """Everything the cases of one submission share: the staged code, its sandboxed worker, and what was found."""

    def __init__(self, staged, config=CONFIG, hide=()):
        self.staged = staged
        self.hide = tuple(hide)      # folders the sandbox must cover besides the grader's (the class folder)
        self.config = config
        self.flags = set()
        self.diagnoses = Counter()
        self.runtime_forbidden = set()
        self.runtime_library_calls = set()   # TensorFlow helpers the NumPy-only worker's stand-ins ran
        self.static_library_calls = []       # with config.numpy_only: the static check's library calls
        self._static_findings = None   # the static check's, made on first use (part 2.1): see static_findings
        self.static_check_fault = ""   # its traceback, if the check itself failed (a grader fault, never a 0)
        self.static_unparsable = ""    # why convolution.py could not be read as Python, if it could not
        self.stopped = ""            # set when the part must not call student code again (after a timeout or a
                                     # memory kill); the next part starts over with a fresh worker
        self.public_output = ""      # the student's prints up to the end of the public cases
        self.isolation = {}          # how the last worker was sandboxed (see sandbox/isolation.py), for the instructor
        self.part = ""               # the name of the part running now (for messages)
        self._worker = None
        self._cases = {}
        self._outcomes = {}
        self._digits = None
        self._model_result = None
        self.worker_cpu = Counter()  # "<worker>: <what>" -> CPU seconds measured from the grader's side
        self.settled_form = config.canonical_strides   # the strides form conv2d is called in (see _settle_form)

    def stride_argument(self, pair):
        """strides for `pair` in the settled form (see _settle_form), or the canonical call's when it cannot express
        them: for calls outside the case sets (the performance layer, part 2.5's own cases)."""
        argument = forms.stride_argument(pair, self.settled_form)
        return argument if argument is not None else forms.canonical_arguments(pair, self.config.canonical_strides)

    def static_findings(self):
        """The static check's library convolutions in conv2d ("`api` (line n)"), made once; with the course's
        NumPy-only rule (config.numpy_only) its other library calls too (static_library_calls). Should the check
        itself fail on some style of code, that is the grader's fault: it counts as finding nothing, and part 2.1
        reports the fault (static_check_fault) while every other part is graded as usual."""
        if self._static_findings is None:
            self._static_findings, self.static_library_calls = [], []
            try:
                source = (self.staged.directory / "convolution.py").read_text()

                def named(finding):     # a notebook's line as the student sees it: "cell 3, line 2"
                    place = notebooks.notebook_place(source, finding.line)
                    where = f"cell {place[1]}, line {place[2]}" if place else f"line {finding.line}"
                    return f"`{finding.api}` ({where})"
                self._static_findings = [named(f) for f in rules.find_forbidden(source)]
                if self.config.numpy_only:
                    self.static_library_calls = [named(f) for f in
                                                 rules.find_forbidden(source, judge=rules.library_call)]
            except SyntaxError as error:   # the import fails in the worker and says so, with the line
                self.static_unparsable = f"{error.msg} (line {error.lineno})"
            except Exception:
                self.static_check_fault = traceback.format_exc()
        return self._static_findings

    def library_calls(self):
        """The TensorFlow helpers conv2d used ("`api` (line n)"): run as NumPy in its worker, or found statically
        under the NumPy-only rule; library convolutions are not listed here (forbidden_apis)."""
        self.static_findings()
        convolutions = set(self.forbidden_apis())
        return sorted((set(self.static_library_calls) | self.runtime_library_calls) - convolutions)

    # -- the worker -------------------------------------------------------------------------------------------
    def worker(self, modules=("convolution",)):
        """The sandboxed worker importing `modules`; only one worker lives at a time (memory). Without
        `assignment` it is the NumPy-only worker of the conv2d parts: TensorFlow, SciPy and the other libraries
        that convolve cannot be read there, and stand-ins that explain the rule take their names."""
        if self._worker is not None and self._worker.modules != tuple(modules):
            self.count_cpu(self._worker)
            self._worker.close()
            self._worker = None
        if self._worker is None:
            numpy_only = "assignment" not in modules
            self._worker = Worker(self.staged.directory, limits=self.config.sandbox, modules=tuple(modules),
                                  hide=self.hide, deny=stand_ins.DENIED_LIBRARIES if numpy_only else (),
                                  stand_ins=stand_ins.FOLDER if numpy_only else None)
        return self._worker

    def call(self, module, function, *args, timeout=None, max_reply_bytes=None):
        """Call the student's module.function(*args) in the worker; StudentError on trouble (flags recorded). The
        library convolutions it used are kept."""
        if self.stopped:
            raise StudentError("skipped", self.stopped)
        try:
            reply = self.worker().call(module, function, *args, max_reply_bytes=max_reply_bytes,
                                       timeout=timeout or self.config.sandbox.call_timeout_s)
        except StudentError as error:
            error.message = self.located(error.message)
            self.record(error)
            raise
        self.runtime_forbidden.update(reply.forbidden)
        self.runtime_library_calls.update(reply.helpers)
        return reply

    def located(self, message):
        """A message about the student's code with places in a notebook named as the student sees them: "hw.ipynb,
        cell 4, line 2" for "convolution.py, line 23" (intake made convolution.py from the notebook's cells); and a
        function missing from such a module is explained by the cells left out for not being Python."""
        sources = {}

        def source(module):
            if module not in sources:
                try:
                    sources[module] = (self.staged.directory / f"{module}.py").read_text(errors="replace")
                except OSError:
                    sources[module] = ""
            return sources[module]

        def place(found):
            where = notebooks.notebook_place(source(found["module"]), int(found["line"]))
            if where is None:
                return found[0]
            notebook, cell, line = where
            return f"{notebook}{found['quote']}, cell {cell}, line {line}"
        message = STUDENT_PLACE.sub(place, message)
        missing = MISSING_NAME.search(message)
        if missing and missing["module"] in self.staged.modules:
            left_out = notebooks.left_out_cells(source(missing["module"]))
            if left_out:
                first, _, rest = message.partition("\n")
                first += "".join(f" (cell {cell} of {notebook} was left out: {why})" for notebook, cell, why in left_out)
                message = first + ("\n" + rest if rest else "")
        return message

    def begin_part(self, name):
        """A new part: what stopped the last one (a timeout, a memory kill) costs this one nothing."""
        self.stopped = ""
        self.part = name

    def record(self, error):
        """Remember what a StudentError says about the submission: its flag; a library call the NumPy-only worker's
        stand-in refused (the rule, with its line); and, after a timeout or a memory kill, stop calling student code
        for the rest of this part (each would otherwise cost one more full limit, or one more worker)."""
        if error.kind in FLAG_OF_KIND:
            module = getattr(error, "module", None)
            # which file failed to import, when it is known: "import-error:assignment.py"
            self.flags.add(FLAG_OF_KIND[error.kind] + (f":{module}.py" if error.kind == "import" and module else ""))
        found = FORBIDDEN_LIBRARY_USE.match(error.message) if error.kind == "exception" else None
        if found:
            self.runtime_forbidden.add(f"`{found['api']}` ({(found['cell'] or '').strip()} line {found['line']})"
                                       .replace("( ", "("))
        if error.kind == "timeout":
            self.stopped = f"not run: your code timed out earlier in this part ({error.message})"
        elif error.kind == "memory":
            self.stopped = f"not run: your code ran out of memory earlier in this part ({error.message})"

    def count_cpu(self, worker, name=None):
        """Add what `worker` spent to worker_cpu, under its name ("NumPy-only" or "model" by default)."""
        name = name or ("model" if worker.runs_model else "NumPy-only")
        for what, seconds in worker.cpu_seconds.items():
            self.worker_cpu[f"{name} worker: {what}"] += seconds

    def close(self):
        if self._worker is not None:
            self.isolation = self._worker.isolation
            self.count_cpu(self._worker)
            self._worker.close()
            self._worker = None

    # -- conv2d cases ---------------------------------------------------------------------------------------
    def conv_cases(self, set_name):
        """The set's cases in the canonical form the scored parts call conv2d in (see autograder/forms.py)."""
        if set_name not in self._cases:
            self._cases[set_name] = [forms.canonical_case(case, self.config.canonical_strides)
                                     for case in fixture_files.load_conv_cases(set_name)]
        return self._cases[set_name]

    def conv_outcomes(self, set_name):
        """The student's conv2d on every case of the set, each called once in the settled strides form (see
        settle_form: the public cases settle it) and remembered: its first answer counts."""
        if set_name not in self._outcomes:
            if set_name == "public":
                self._outcomes[set_name] = self._settle_form(self.conv_cases(set_name))
                if self._worker is not None:
                    # What the student printed so far can be shown: no hidden case has been run yet.
                    self.public_output = self._worker.output()
            else:
                self.conv_outcomes("public")
                self._outcomes[set_name] = [self._settled_call(case) for case in self.conv_cases(set_name)]
        return self._outcomes[set_name]

    def call_conv(self, case, strides, inputs=None, padding=None):
        """One call of the student's conv2d on the case's arrays (or `inputs`), with these strides: an Outcome."""
        try:
            reply = self.call("convolution", "conv2d", case.inputs if inputs is None else inputs, case.filters,
                              strides, case.padding if padding is None else padding,
                              max_reply_bytes=largest_reply_bytes(case.expected))
        except StudentError as error:
            if error.kind == "exception":
                return Outcome(problem=f"conv2d raised {error_summary(error.message)}", raised=True)
            return Outcome(problem=error.message)
        return outcome_of(reply)

    def is_right(self, case, outcome):
        return outcome.output is not None and same_output(outcome.output, case.expected, self.config.tolerance)

    def _call_in_form(self, case, form):
        """The case called once with its strides in `form` (as the canonical case has them when `form` cannot
        express them)."""
        argument = self._argument_in(case, form) or case.strides
        outcome = self.call_conv(case, argument)
        outcome.form = forms.form_of(argument)
        return outcome

    def _argument_in(self, case, form):
        """The case's strides written in `form`, or None when that is not another call than the canonical one."""
        argument = forms.stride_argument(forms.stride_pair(case.strides), form)
        return None if argument is None or argument == case.strides else argument

    def _settled_call(self, case):
        return self._call_in_form(case, self.settled_form)

    def _settle_form(self, cases):
        """The public outcomes, and the strides form the student's conv2d is called in from now on (settled_form).

        Every case is called in the canonical form first. When one raised, or one with a stride > 1 is wrong, each
        other form tf.nn.conv2d accepts is tried on the public cases (a case it cannot express keeps its canonical
        answer), and the form with the most right answers is settled on (the canonical form on a tie): the course's
        convention must not cost a right convolution its points (part 2.5 scores the forms). Hidden cases are then
        called once each, in that form, with no retry: a conv2d cannot try conventions on them one after another."""
        canonical = [self._call_in_form(case, self.config.canonical_strides) for case in cases]
        needs_another = any(outcome.raised or (not self.is_right(case, outcome)
                                               and forms.stride_pair(case.strides) != (1, 1))
                            for case, outcome in zip(cases, canonical))
        if not needs_another:
            return canonical
        best_form, best = self.config.canonical_strides, canonical
        best_right = sum(map(self.is_right, cases, canonical))
        for form in forms.STRIDE_FORMS:
            if form == self.config.canonical_strides or self.stopped:
                continue
            outcomes = [self._call_in_form(case, form) if self._argument_in(case, form) else first
                        for case, first in zip(cases, canonical)]
            right = sum(map(self.is_right, cases, outcomes))
            if right > best_right:
                best_form, best, best_right = form, outcomes, right
        if best_form == self.config.canonical_strides:
            return canonical
        self.settled_form = best_form
        for case, outcome, first in zip(cases, best, canonical):
            if outcome is not first and self.is_right(case, outcome) and not self.is_right(case, first):
                outcome.canonical = first
        return best

    # -- the model ----------------------------------------------------------------------------------------------
    num_classes = 10

    def digits(self):
        if self._digits is None:
            self._digits = fixture_files.load_digits()
        return self._digits

    def model_result(self):
        """The student's CNN trained in a fresh worker (Worker.run_model's result, plus this grading's relabelled
        "test_labels"); run once."""
        if self._model_result is None:
            self._model_result = self._train_model()
        if isinstance(self._model_result, StudentError):
            raise self._model_result
        return self._model_result

    def _train_model(self):
        if "assignment" not in self.staged.modules:
            return StudentError("missing", "No `assignment.py` in your submission, so there is no model to train.")
        check = self.config.model
        # Secret and fresh for each grading: the class ids the model is taught and the test images' noise.
        data = graded_digits(self.digits(), self.num_classes, check.test_noise,
                             np.random.default_rng(secrets.randbits(128)))
        try:
            result = self.worker(("convolution", "assignment")).run_model(
                num_classes=self.num_classes, epochs=check.epochs, train_inputs=data["train_inputs"],
                train_labels=data["train_labels"], test_inputs=data["test_inputs"], seed=check.seed,
                timeout=check.train_timeout_s, class_name=check.class_name, train_function=check.train_function)
        except StudentError as error:
            error.message = self.located(error.message)
            self.record(error)
            return error
        # Library convolutions the trap saw inside conv2d during the model's is_testing run count like any other.
        self.runtime_forbidden.update(str(api) for api in result.get("forbidden", []))
        result["test_labels"] = data["test_labels"]     # the grader's, whatever the worker sent
        return result

    def forbidden_apis(self):
        return sorted(set(self.static_findings()) | self.runtime_forbidden)

    def note_diagnosis(self, name, points_lost):
        """A named mistake and the public points it explains losing (summed over the parts that named it)."""
        self.diagnoses[name] += points_lost

    def headline_diagnosis(self):
        """The diagnosis that explains the most lost points; a mistake in the arithmetic ranks above a note on
        the argument forms (which is worth 2.5's points at most), whatever their points."""
        if not self.diagnoses:
            return ""
        return max(self.diagnoses, key=lambda name: (name not in FORM_DIAGNOSES, self.diagnoses[name]))


def largest_reply_bytes(expected):
    """The most bytes a conv2d answer to a case may send back: 80 cases of a 200 MB answer would otherwise take
    minutes and fill the grader's memory. Mistakes worth naming stay far below (stride 3 ignored: 9x the size)."""
    return 64 * max(expected.size, 1) * 8 + (1 << 20)


def outcome_of(reply):
    """An Outcome from a worker reply: conv2d must return a NumPy array (a tf.Tensor is converted in the worker)."""
    value = reply.value
    if not isinstance(value, np.ndarray):
        return Outcome(problem=f"conv2d returned a `{reply.type}`; it must return a NumPy array")
    if not (np.issubdtype(value.dtype, np.floating) or np.issubdtype(value.dtype, np.integer)):
        return Outcome(problem=f"conv2d returned an array of dtype {value.dtype}; expected float32")
    return Outcome(output=value)


def grade_submission(path, *, name=None, student="", submission_hash="", on_progress=None, config=CONFIG):
    """Grade the submission at `path`; returns its SubmissionResult and writes nothing (callers write it with
    `autograder.report`). `name` defaults to the submission's own. Never raises for student faults; raises
    IsolationUnavailable (before any student code ran) when the sandbox cannot be established here.

    on_progress(result), if given, receives after every test a copy of the result so far, the tests not yet run at
    0 points: what a caller that is stopped mid-way (Gradescope's time limit) reports instead of nothing.
    """
    started, cpu_started = time.monotonic(), identity.tree_cpu_seconds()
    name = name or intake.submission_name(path)
    result = SubmissionResult(name=name, student=student, autograder_version=version(config),
                              submission_hash=submission_hash)
    try:
        with tempfile.TemporaryDirectory(prefix="cnn-grade-") as scratch:
            staged = intake.stage(path, Path(scratch) / "submission")
            session = GradingSession(staged, config=config, hide=(Path(path).resolve().parent,))
            progress = None
            if on_progress is not None:
                not_reached = zero_tests(NOT_REACHED, config)
                finished = {}

                def progress(test):
                    finished[test.number] = test
                    tests = [finished.get(blank.number, blank) for blank in not_reached]
                    on_progress(replace(result, tests=tests))
            try:
                result.tests, result.instructor_log = run_cases(all_cases(), session, on_result=progress)
            finally:
                session.close()
            if session.forbidden_apis():
                apply_rule(result.tests, FORBIDDEN_MESSAGE.format(apis=", ".join(session.forbidden_apis())))
            result.flags = sorted(session.flags | ({"forbidden-api"} if session.forbidden_apis() else set()))
            result.diagnosis = session.headline_diagnosis()
            result.isolation = session.isolation
            result.output = report.overview(result, staged.notes)
            result.cpu_seconds = cpu_report(result.tests, session.worker_cpu)
    except IsolationUnavailable:
        raise
    except intake.SubmissionError as error:
        result.status = "error"
        result.output = f"**Your submission could not be graded.** {error}"
        result.tests = zero_tests(str(error), config)
    except Exception:
        result.status = "error"
        result.output = ("**The autograder failed on your submission.** This is not your fault; your instructor has "
                         "the details. Your score is 0 until they regrade it.")
        result.instructor_log += traceback.format_exc()
        result.tests = zero_tests("Not graded: the autograder failed.", config)
    result.execution_time = time.monotonic() - started
    result.cpu_seconds["total"] = round(identity.tree_cpu_seconds() - cpu_started, 3)
    return result


def cpu_report(tests, worker_cpu):
    """grader.json's CPU breakdown (seconds, from the grader's side): per test, and per worker and request kind
    (the model worker's "start" is TensorFlow's and the student's imports, its "model" the training, predictions
    and probes). "total" (the whole process tree, sandboxes included) is added at the end of the grading."""
    return {"tests": {test.number: round(test.cpu_seconds, 3) for test in tests},
            "workers": {name: round(seconds, 3) for name, seconds in sorted(worker_cpu.items())}}


def bound_by_the_rule(number):
    """The parts a library convolution in conv2d costs: every conv2d part, the performance part, and is_testing."""
    return number.startswith("2.") or number in ("3.1", "4.2")


def apply_rule(tests, message):
    """Zero the parts bound by the rule, whenever the library convolution was found: a conv2d that calls one only
    for the model's large test batch is found after the conv2d parts have been scored."""
    for test in tests:
        if bound_by_the_rule(test.number) and test.score > 0:
            test.score, test.status = 0.0, "failed"
            test.output = f"{test.output}\n\n{message}" if test.output else message


NOT_REACHED = "Not reached: grading was stopped at the time limit before this test ran."


def zero_tests(message, config=CONFIG):
    """Every graded test at 0 with one message, so results.json always lists the full point total (of `config`)."""
    tests = []
    for case_class in all_cases():
        for method_name, function in test_methods(case_class):
            test = blank_result(function, method_name, config)
            test.output = message
            tests.append(test)
    return sorted(tests, key=number_key)
