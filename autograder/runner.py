"""The runner of the graded parts (instead of gradescope-utils' JSONTestRunner), and the scoring rules they share.

JSONTestRunner drops tests whose subTests fail, crashes on a setUpClass error, writes nothing until the whole suite
ends and cannot tell the student's failure from the grader's own bug. Here every test method runs on its own: a
failed assertion or a `StudentError` costs the student that test with its message; any other exception is the
grader's fault, scored 0 with a neutral message and its traceback kept for the instructor; the next test runs anyway.
The rules: a test's points and visibility come from the session's config (cases.scored); a failure scores 0; a
passing test scores what it set (partial credit) or all its points; a score stays within [0, its points].
"""
import re
import time
import traceback
import unittest

from autograder.cases import max_points, visibility
from autograder.config import CONFIG
from autograder.results import TestResult
from autograder.sandbox import IsolationUnavailable, StudentError, identity

ANSI_ESCAPE = re.compile(r"\x1b(?:\[[0-9;?]*[ -/]*[@-~]|\][^\x07\x1b]*(?:\x07|\x1b\\)|[@-Z\\-_])")
# a traceback frame; a notebook's (grade.GradingSession.located) says 'File "hw.ipynb", cell 4, line 2, in f'
FRAME = re.compile(r'^  File "(?P<file>[^"]*)",(?P<cell> cell \d+,)? line (?P<line>\d+), in (?P<function>.*)$')
MAX_SUMMARY_CHARS = 600


def strip_ansi(text):
    """Text without ANSI escape codes (terminal colours, Keras' bold): they would reach results.json raw."""
    return ANSI_ESCAPE.sub("", text)


def error_summary(message):
    """The one format every part uses for an error the student's code raised, from the worker's text (root cause's
    'Type: message', then frames in the student's files, innermost last; see sandbox/worker.student_error_text):
    `IndexError: list index out of range` at convolution.py, line 12 (`sh, sw = strides[1], strides[2]`)."""
    lines = strip_ansi(message).splitlines() or [""]
    headline = lines[0].strip()
    if len(headline) > MAX_SUMMARY_CHARS:
        headline = headline[:MAX_SUMMARY_CHARS] + " ..."
    text = f"`{headline.replace('`', chr(39))}`"
    frames = []
    for number, line in enumerate(lines):
        match = FRAME.match(line)
        if match:
            code = lines[number + 1].strip() if number + 1 < len(lines) and lines[number + 1].startswith("    ") else ""
            frames.append((match["file"] + (match["cell"] or "").rstrip(","), match["line"], code))
    if frames:
        file_name, line, code = frames[-1]
        text += f" at {file_name}, line {line}" + (f" (`{code.replace('`', chr(39))[:200]}`)" if code else "")
    then = [line for line in lines[1:] if line.startswith("(then: ")]
    if then:
        text += f" {then[-1][:MAX_SUMMARY_CHARS]}"
    return text


def student_error_message(error):
    """What the student is told about a StudentError: an exception in the common format, anything else as said."""
    if error.kind == "exception":
        return f"Your code raised {error_summary(error.message)}."
    return strip_ansi(error.message)


GRADER_FAULT = ("The autograder failed while checking this part. This is not your fault; your instructor has the "
                "details and will look at it.")


def test_methods(case_class):
    """(method name, function) of a case class, ordered by their @number."""
    names = unittest.TestLoader().getTestCaseNames(case_class)
    methods = [(name, getattr(case_class, name)) for name in names]
    return sorted(methods, key=lambda item: [int(part) for part in item[1].__number__.split(".")])


def blank_result(function, method_name, config=CONFIG):
    """A TestResult at 0 points carrying the test's metadata (name from the docstring's first line; points and
    visibility from `config`, see cases.scored)."""
    return TestResult(
        name=(function.__doc__ or method_name).strip().splitlines()[0],
        number=function.__number__,
        score=0.0,
        max_score=max_points(function, config),
        visibility=visibility(function, config),
        tags=tuple(getattr(function, "__tags__", ())),
    )


def run_test(case_class, name, session):
    """Run one test method and return (TestResult, instructor log text)."""
    function = getattr(case_class, name)
    test = case_class(name)
    test.session = session
    max_score = max_points(function, session.config)
    # gradescope-utils' @partial_credit keeps the score on the function object: clear what a previous submission
    # left there. @scored(partial=True) methods get a set_score of their own instead.
    if hasattr(function, "__score__"):
        del function.__score__
    given = {}
    log = ""
    started, cpu_started = time.monotonic(), identity.tree_cpu_seconds()
    try:
        if getattr(function, "__partial__", False):
            getattr(test, name)(set_score=lambda value: given.update(score=value))
        else:
            getattr(test, name)()
        failure = None
    except AssertionError as error:
        failure = str(error)
    except StudentError as error:
        failure = student_error_message(error)
    except IsolationUnavailable:
        raise                       # nothing of any student may run: the caller stops and says why
    except Exception:
        failure = GRADER_FAULT
        log = f"{case_class.__name__}.{name} raised:\n{traceback.format_exc()}"
    score = given.get("score", getattr(function, "__score__", None))
    if failure is not None:
        score = 0.0
    elif score is None:
        score = max_score
    result = blank_result(function, name, session.config)
    result.score = round(min(max(float(score), 0.0), max_score), 4)
    result.status = "passed" if failure is None and result.score >= max_score else "failed"
    result.output = strip_ansi("\n\n".join(test.feedback + ([failure] if failure else [])))
    result.seconds = round(time.monotonic() - started, 3)
    result.cpu_seconds = round(identity.tree_cpu_seconds() - cpu_started, 3)
    return result, log


def run_cases(case_classes, session, on_result=None):
    """Run every test of the case classes in order; returns (list of TestResult, instructor log)."""
    results, logs = [], []
    for case_class in case_classes:
        session.begin_part(case_class.__name__)
        for name, _ in test_methods(case_class):
            result, log = run_test(case_class, name, session)
            results.append(result)
            if log:
                logs.append(log)
            if on_result:
                on_result(result)
    return sorted(results, key=number_key), "\n".join(logs)


def number_key(test):
    """Sort key of a TestResult by its number: "2.4" before "3.1" whatever the order the tests ran in."""
    return [int(part) for part in test.number.split(".")]
