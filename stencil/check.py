"""Self-check: the autograder's public cases, with its diagnoses and messages, on your convolution.py. Run it here:

    python check.py

It prints a table of the parts it can check and, for each failing part, what the autograder would tell you: how
many cases are right, the likely mistake, and the smallest failing case. The cases, the known mistakes and their
explanations come from the autograder itself (check_cases.npz). conv2d is called with strides [1, s_h, s_w, 1]
first, then in the other forms tf.nn.conv2d accepts, as the autograder does. Not checked here: the hidden cases, the
argument forms (part 2.5), the speed of conv2d, the no-library-convolution rule and the model (run
`python assignment.py` for that).
Exit status 0 when every part checked here passes.
"""
import json
import os
import re
import sys
import traceback
from collections import Counter
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
DATA = HERE / "check_cases.npz"
TOLERANCE = {"rtol": 1e-4, "atol": 1e-4}           # the grader's, from check_cases.npz
HEADLINE = {"min_cases": 3, "min_share": 0.5}       # a likely mistake explains at least this many failing cases


def error_text(error):
    """As the autograder shows an error: the root cause behind wrappers, on one line, and its line in your file."""
    while error.__cause__ is not None or (error.__context__ is not None and str(error.__context__) in str(error)):
        error = error.__cause__ or error.__context__
    message = " ".join(re.sub(r"\x1b\[[0-9;]*[A-Za-z]", "", str(error)).split())
    text = f"`{type(error).__name__}: {message}`"
    frames = [frame for frame in traceback.extract_tb(error.__traceback__)
              if Path(frame.filename).resolve().parent == HERE and Path(frame.filename).name != "check.py"]
    if frames:
        text += f" at {Path(frames[-1].filename).name}, line {frames[-1].lineno} (`{frames[-1].line}`)"
    return text


def load_cases(path=DATA):
    """(meta dict, {case id: {inputs, filters, expected, strides, padding, mistakes: [(name, output)]}})."""
    with np.load(path, allow_pickle=False) as data:
        meta = json.loads(str(data["meta"]))
        cases = []
        for case in meta["conv2d_cases"]:
            arrays = {key: data[f"{case['id']}/{key}"] for key in ("inputs", "filters", "expected")}
            variants = [(name, data[f"{case['id']}/mistake/{name}"]) for name in case["mistakes"]]
            cases.append(dict(case, mistakes=variants, **arrays))
    return meta, cases


# --- The same checks and words as the autograder's conv2d parts (autograder/cases/conv2d.py) ---------------------

def case_text(case):
    return (f"inputs {tuple(case['inputs'].shape)} ({case['inputs'].dtype}), filters {tuple(case['filters'].shape)}, "
            f"strides {case['strides']}, padding {case['padding']!r}")


def same_values(first, second, tolerance):
    return first.shape == second.shape and np.allclose(first, second, rtol=tolerance["rtol"], atol=tolerance["atol"])


def diagnose(case, output, tolerance):
    """The first known mistake (autograder's order) whose output equals yours, or None — as mistakes.diagnose."""
    explaining = diagnose_all(case, output, tolerance)
    return explaining[0] if explaining else None


def diagnose_all(case, output, tolerance):
    """Every known mistake (autograder's order) whose output equals yours — as mistakes.diagnose_all."""
    try:
        student = np.asarray(output, dtype=np.float64)
    except (TypeError, ValueError):
        return []
    if same_values(student, case["expected"].astype(np.float64), tolerance) or (student.size and not student.any()):
        return []       # right, or all zeros (e.g. an output array never written): evidence of no particular mistake
    return [name for name, mistaken in case["mistakes"] if same_values(student, mistaken, tolerance)]


def shape_problem(case, output, problem):
    if problem:
        return problem
    if output.shape != case["expected"].shape:
        return f"your output has shape {tuple(output.shape)}, expected {tuple(case['expected'].shape)}"
    return None


def value_problem(case, output, problem, tolerance):
    problem = shape_problem(case, output, problem)
    if problem:
        return problem
    yours, expected = output.astype(np.float64), case["expected"].astype(np.float64)
    close = np.isclose(yours, expected, rtol=tolerance["rtol"], atol=tolerance["atol"])
    if close.all():
        return None
    index = tuple(int(i) for i in np.argwhere(~close)[0])
    return (f"{int((~close).sum())} of {close.size} values differ; the first at index {index}: "
            f"yours {yours[index]:.6g}, expected {expected[index]:.6g}")


def part_feedback(cases, outcomes, check, explanations, tolerance):
    """(cases right, lines of feedback) for one part, worded as the autograder words it."""
    failures = [(case, output, found) for case, (output, problem) in zip(cases, outcomes)
                if (found := check(case, output, problem))]
    lines = [f"{len(cases) - len(failures)} of {len(cases)} cases right."]
    if failures:
        named = Counter(name for case, output, _ in failures if output is not None
                        for name in diagnose_all(case, output, tolerance))
        name, count = named.most_common(1)[0] if named else (None, 0)
        if named and count >= HEADLINE["min_cases"] and count >= HEADLINE["min_share"] * len(failures):
            lines.append(f"**Likely mistake** ({count} of the {len(failures)} failing cases match it): "
                         f"{explanations[name]}")
        elif named:
            lines.append(f"No known mistake explains most of the {len(failures)} failing cases (a mistake is named "
                         f"when it explains at least half of them and at least {HEADLINE['min_cases']}).")
        problems = {found for _, _, found in failures}
        if len(failures) == len(cases) and len(problems) == 1:
            lines.append(f"Every case failed the same way: {problems.pop()}")
        else:
            case, _, found = min(failures, key=lambda f: f[0]["inputs"].size + f[0]["filters"].size)
            lines.append(f"Smallest failing case: {case_text(case)}: {found}.")
    return len(cases) - len(failures), lines


def other_strides(pair):
    """The other strides forms tf.nn.conv2d accepts for (s_h, s_w): [s_h, s_w], then [s] and s when s_h == s_w."""
    forms = [list(pair)]
    if pair[0] == pair[1]:
        forms += [[pair[0]], pair[0]]
    return forms


def run_conv2d(conv2d, case):
    """(output array or None, problem) for one case, as the autograder records it: strides [1, s_h, s_w, 1] first;
    when that raises (or is wrong on a stride > 1), the other forms tf.nn.conv2d accepts, and the first right one."""
    first = call_conv2d(conv2d, case, case["strides"])
    right = first[0] is not None and same_values(first[0], case["expected"], TOLERANCE)
    if right or not (first[0] is None and first[1].startswith("conv2d raised")
                     or first[0] is not None and tuple(case["pair"]) != (1, 1)):
        return first
    for strides in other_strides(case["pair"]):
        output, problem = call_conv2d(conv2d, case, strides)
        if output is not None and same_values(output, case["expected"], TOLERANCE):
            return output, ""
    return first


def call_conv2d(conv2d, case, strides):
    try:
        output = conv2d(case["inputs"].copy(), case["filters"].copy(), strides, case["padding"])
    except Exception as error:  # noqa: BLE001 - any error of the student's code is reported, not raised
        return None, f"conv2d raised {error_text(error)}"
    if hasattr(output, "numpy"):
        output = output.numpy()
    if not isinstance(output, np.ndarray):
        return None, f"conv2d returned a `{type(output).__name__}`; it must return a NumPy array"
    if not (np.issubdtype(output.dtype, np.floating) or np.issubdtype(output.dtype, np.integer)):
        return None, f"conv2d returned an array of dtype {output.dtype}; expected float32"
    return output, ""


def output_size_feedback(conv_output_size, cases):
    """(cases right, lines) for conv_output_size, worded as the autograder words it."""
    wrong = []
    for case in cases:
        try:
            value = conv_output_size(case["in_size"], case["filter_size"], case["stride"], case["padding"])
            answer = int(value) if isinstance(value, (int, np.integer)) and not isinstance(value, bool) else None
            shown = f"`{value!r}`"
        except Exception as error:  # noqa: BLE001
            answer, shown = None, f"an error: `{type(error).__name__}: {(str(error).splitlines() or [''])[0]}`"
        if answer != case["expected"]:
            wrong.append((case, shown))
    lines = [f"{len(cases) - len(wrong)} of {len(cases)} cases right."]
    if wrong:
        case, shown = wrong[0]
        hint = {"SAME": " With SAME padding the output size is ceil(in_size / stride), whatever the filter size.",
                "VALID": " With VALID padding it is ceil((in_size - filter_size + 1) / stride), and 0 if it does not "
                         "fit."}.get(case["padding"], " With p zeros on each side it is floor((w - f + 2p) / s) + 1 "
                                                      "(lecture), and 0 if it does not fit.")
        lines.append(f"For example `conv_output_size(in_size={case['in_size']}, filter_size={case['filter_size']}, "
                     f"stride={case['stride']}, padding={case['padding']!r})` should return `{case['expected']}`; "
                     f"yours gave {shown}.{hint}")
    return len(cases) - len(wrong), lines


def main():
    os.environ.setdefault("TF_ENABLE_ONEDNN_OPTS", "0")
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    sys.path.insert(0, str(HERE))
    meta, cases = load_cases()
    tolerance, explanations = meta["tolerance"], meta["explanations"]
    TOLERANCE.update(tolerance)
    HEADLINE.update(meta["headline"])
    try:
        import convolution
    except Exception as error:  # noqa: BLE001
        print(f"convolution.py cannot be imported: {type(error).__name__}: {error}")
        return 1

    parts = [("1.1", "conv_output_size", output_size_feedback(convolution.conv_output_size,
                                                              meta["output_size_cases"]),
              len(meta["output_size_cases"]))]
    outcomes = [run_conv2d(convolution.conv2d, case) for case in cases]
    parts.append(("2.2", "conv2d: output shapes (public cases)",
                  part_feedback(cases, outcomes, shape_problem, explanations, tolerance), len(cases)))
    value_check = lambda case, output, problem: value_problem(case, output, problem, tolerance)
    parts.append(("2.3", "conv2d: output values (public cases)",
                  part_feedback(cases, outcomes, value_check, explanations, tolerance), len(cases)))

    print(f"{'part':<5} {'what is checked':<40} {'cases right':>12}  result")
    for number, name, (right, _), total in parts:
        print(f"{number:<5} {name:<40} {f'{right}/{total}':>12}  {'pass' if right == total else 'FAIL'}")
    for number, name, (right, lines), total in parts:
        if right < total:
            print(f"\n{number} {name}\n  " + "\n  ".join(line.replace("**", "") for line in lines))
    print("\nNot checked here: hidden cases, the argument forms (2.5), speed, the no-library rule and the model "
          "(python assignment.py).")
    return 0 if all(right == total for _, _, (right, _), total in parts) else 1


if __name__ == "__main__":
    sys.exit(main())
