"""The argument forms of tf.nn.conv2d, and the canonical form the scored conv2d parts call the student's conv2d in.

tf.nn.conv2d accepts strides as an int s, [s], [s_h, s_w] or [1, s_h, s_w, 1], and padding as "SAME", "VALID" or an
explicit [[0, 0], [top, bottom], [left, right], [0, 0]] (REFERENCE §1). Students are told different conventions (the
course's own stencil says strides "MUST BE" [1, s_h, s_w, 1]), so the parts that score the convolution itself
(2.2-2.4, 3.1) call conv2d in ONE form, `config.canonical_strides` with padding "SAME"/"VALID" and float32 arrays:

- strides in the canonical form (default "nhwc": [1, s_h, s_w, 1]; an int or [s] cannot say s_h != s_w, so such
  cases fall back to [s_h, s_w]);
- explicit padding applied by the grader (zeros added to the inputs), then "VALID": the same expected output;
- integer and float64 inputs given as float32 (exact for the fixtures' small integers; float64 within tolerance).

When a public case raises in the canonical form (or one with a stride > 1 is wrong), the grader tries the other strides
forms on the public cases and settles on the one with the most right answers, once per submission; every hidden case
is then called once, in that form (`GradingSession._settle_form`). Part 2.5 checks the forms themselves.
This module needs only NumPy (the grader process never imports TensorFlow).
"""
from dataclasses import replace

import numpy as np

# Strides forms, by name: how each writes a (s_h, s_w) pair (None: the form cannot express it).
STRIDE_FORMS = ("nhwc", "pair", "single", "int")
FORM_TEXT = {"nhwc": "[1, s_h, s_w, 1]", "pair": "[s_h, s_w]", "single": "[s]", "int": "an int s"}


def stride_pair(strides):
    """(s_h, s_w) from an int, [s], [s_h, s_w] or [1, s_h, s_w, 1]."""
    if isinstance(strides, (int, np.integer)):
        return int(strides), int(strides)
    values = [int(value) for value in strides]
    if len(values) == 1:
        return values[0], values[0]
    if len(values) == 2:
        return values[0], values[1]
    return values[1], values[2]


def stride_argument(pair, form):
    """The strides argument for `pair` written in `form`, or None when the form cannot express it."""
    stride_h, stride_w = (int(value) for value in pair)
    if form == "nhwc":
        return [1, stride_h, stride_w, 1]
    if form == "pair":
        return [stride_h, stride_w]
    if stride_h != stride_w:
        return None
    return [stride_h] if form == "single" else stride_h


def form_of(strides):
    """The name of the form `strides` is written in."""
    if isinstance(strides, (int, np.integer)):
        return "int"
    return {1: "single", 2: "pair", 4: "nhwc"}[len(list(strides))]


def canonical_arguments(pair, canonical):
    """The strides argument of the canonical call: the canonical form, or [s_h, s_w] when it cannot express pair."""
    argument = stride_argument(pair, canonical)
    return argument if argument is not None else stride_argument(pair, "pair")


def canonical_case(case, canonical="nhwc"):
    """The fixtures' case as the scored parts call it: float32 arrays, strides in the canonical form, padding
    "SAME"/"VALID" (explicit padding added to the inputs by the grader). The expected output is unchanged."""
    inputs, padding = case.inputs, case.padding
    if not isinstance(padding, str):
        inputs = np.pad(inputs, [tuple(int(p) for p in pair) for pair in padding])
        padding = "VALID"
    pair = stride_pair(case.strides)
    return replace(case, inputs=np.ascontiguousarray(inputs, np.float32),
                   filters=np.ascontiguousarray(case.filters, np.float32),
                   strides=canonical_arguments(pair, canonical), padding=padding, given=case)


def given_note(case):
    """How the canonical case differs from the fixture it came from, for the student ("" when it does not)."""
    given = getattr(case, "given", None)
    if given is None:
        return ""
    notes = []
    if not isinstance(given.padding, str):
        notes.append(f"your padding {given.padding} was added to the inputs by the grader, "
                     f"which were {tuple(given.inputs.shape)}")
    if given.inputs.dtype != np.float32:
        notes.append(f"the {given.inputs.dtype} inputs were given as float32")
    return f" ({'; '.join(notes)})" if notes else ""
