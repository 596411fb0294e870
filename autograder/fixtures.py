"""Grading fixtures: expected outputs made by tf.nn.conv2d ahead of time, loaded at grade time without TensorFlow.

`build()` (python -m autograder.fixtures) imports TensorFlow and writes into autograder/fixtures/:
- public.npz, hidden.npz   conv2d cases: keys "<id>/inputs", "<id>/filters", "<id>/expected", and "cases", a JSON
                           string with one dict per case (id, strides and padding exactly as given to TensorFlow,
                           dtype, description, exposes = the names of the known mistakes whose output differs).
- output_size.json         conv_output_size cases {in_size, filter_size, stride, padding, expected}.
- digits.npz               the embedded digits train/test split from solution/preprocess.py's get_data(); the test
                           images carry config.digits_test_noise (a secret perturbation against lookup).
- manifest.json            versions, seeds, case counts and a sha256 of the data files (fixture_hash()).
The `load_*` functions need only NumPy and json (the grader process must stay small: no TensorFlow).
Everything is deterministic: the same seeds, grid and library versions give the same files byte for byte.
"""
import argparse
import hashlib
import importlib.util
import io
import json
import os
import sys
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from autograder.config import CONFIG

FIXTURE_DIR = Path(__file__).resolve().parent / "fixtures"
SOLUTION_DIR = Path(__file__).resolve().parent.parent / "solution"
CONV_SETS = ("public", "hidden")
DATA_FILES = ("public.npz", "hidden.npz", "output_size.json", "digits.npz")
MANIFEST = "manifest.json"
_ZIP_DATE = (1980, 1, 1, 0, 0, 0)  # a fixed timestamp inside the .npz files keeps them byte-for-byte reproducible

F32, F64, I32 = "float32", "float64", "int32"


def _pads(top, bottom, left, right):
    """Explicit padding in tf.nn.conv2d's form."""
    return [[0, 0], [top, bottom], [left, right], [0, 0]]


# (inputs shape NHWC, filters shape HWIO, strides as given to TF, padding, dtype). Values are random; see _random.
# Between them the cases cover: strides 1, 2, 3 and unequal (1, 2) / (2, 1) as int, [s], [s_h, s_w] and
# [1, s_h, s_w, 1]; SAME, VALID, explicit; kernels 1x1 to 5x5, even and non-square; odd, even, non-square and 1x1
# inputs; C_in 1/3/4, C_out 1/2/5, batch 1/3; kernel equal to the input and one larger (VALID: empty output);
# float32, float64 and small int32 values.
PUBLIC_GRID = (
    ((1, 5, 5, 1), (3, 3, 1, 1), 1, "VALID", F32),
    ((1, 5, 5, 1), (3, 3, 1, 1), 1, "SAME", F32),
    ((1, 5, 5, 1), (2, 2, 1, 1), 1, "SAME", F32),        # symmetric padding would give 4x4, TF gives 5x5
    ((1, 6, 6, 1), (3, 3, 1, 1), 2, "SAME", F32),        # TF pads (0, 1), not (1, 1)
    ((1, 6, 6, 3), (3, 3, 3, 2), [2], "VALID", F32),
    ((3, 7, 7, 3), (3, 3, 3, 5), [1, 2, 2, 1], "SAME", F32),
    ((3, 7, 5, 4), (2, 3, 4, 5), [1, 2], "VALID", F32),
    ((1, 8, 8, 1), (4, 4, 1, 2), 3, "SAME", F32),
    ((1, 8, 6, 3), (5, 5, 3, 1), [2, 1], "SAME", F32),
    ((1, 9, 9, 1), (5, 5, 1, 1), 3, "VALID", F32),
    ((1, 6, 7, 3), (3, 1, 3, 2), [1, 1, 2, 1], "SAME", F32),
    ((1, 5, 6, 1), (1, 3, 1, 2), 2, "VALID", F32),
    ((3, 4, 4, 3), (1, 1, 3, 5), 1, "VALID", F32),
    ((1, 5, 5, 4), (3, 2, 4, 1), [1, 3, 3, 1], "SAME", F32),
    ((1, 6, 6, 1), (3, 3, 1, 1), 1, _pads(1, 1, 1, 1), F32),
    ((1, 5, 7, 3), (3, 3, 3, 2), [2, 2], _pads(0, 2, 1, 0), F32),
    ((3, 6, 5, 1), (2, 3, 1, 5), [1, 2, 1, 1], _pads(2, 1, 0, 0), F32),
    ((1, 4, 4, 3), (4, 4, 3, 2), 1, "VALID", F32),       # kernel = input: 1x1 output
    ((1, 3, 3, 1), (3, 3, 1, 1), 1, "SAME", F32),        # kernel = input, SAME
    ((1, 4, 4, 1), (5, 5, 1, 2), 1, "VALID", F32),       # kernel one larger: empty output (1, 0, 0, 2)
    ((1, 3, 5, 3), (4, 3, 3, 1), 1, "VALID", F32),       # one larger in height only: (1, 0, 3, 1)
    ((3, 1, 1, 3), (3, 3, 3, 2), 1, "SAME", F32),        # 1x1 inputs
    ((1, 1, 1, 4), (1, 1, 4, 5), 1, "VALID", F32),
    ((1, 1, 1, 1), (2, 2, 1, 1), [2], "VALID", F32),     # empty
    ((1, 6, 6, 3), (3, 3, 3, 2), 2, "SAME", F64),
    ((3, 5, 7, 1), (2, 2, 1, 1), [1, 2], "VALID", F64),
    ((1, 5, 5, 1), (3, 3, 1, 1), 1, "SAME", I32),
    ((1, 6, 5, 3), (2, 3, 3, 2), [2, 1], "VALID", I32),
    ((1, 7, 7, 1), (2, 2, 1, 1), 2, "SAME", F32),
    ((1, 7, 7, 1), (3, 3, 1, 2), 2, "VALID", F32),       # ceil(5 / 2) = 3 rows; floor gives 2
    ((1, 10, 10, 1), (3, 3, 1, 1), 3, "SAME", F32),      # ceil(10 / 3) = 4; floor gives 3
    ((1, 5, 5, 3), (5, 5, 3, 2), 1, "SAME", F32),
    ((3, 8, 6, 4), (3, 3, 4, 5), [3], "SAME", F32),
    ((1, 4, 6, 1), (2, 2, 1, 1), [1, 2, 2, 1], "SAME", F32),
    ((1, 6, 6, 4), (4, 4, 4, 1), [1, 1], "SAME", F32),
    ((1, 7, 9, 3), (3, 2, 3, 2), [1, 3], _pads(1, 2, 2, 2), F32),
    ((1, 6, 6, 4), (3, 3, 4, 2), 1, "VALID", F32),
)

# Other shapes than the public grid (no (inputs shape, filters shape) pair in common), drawn from the hidden seed.
HIDDEN_GRID = (
    ((1, 7, 6, 1), (3, 3, 1, 1), 1, "VALID", F32),
    ((1, 6, 5, 1), (3, 3, 1, 2), 1, "SAME", F32),
    ((1, 6, 6, 1), (2, 2, 1, 2), 1, "SAME", F32),
    ((1, 8, 8, 1), (3, 3, 1, 1), 2, "SAME", F32),        # TF pads (0, 1)
    ((1, 7, 8, 3), (3, 3, 3, 2), [2], "VALID", F32),
    ((3, 6, 8, 3), (3, 3, 3, 5), [1, 2, 2, 1], "SAME", F32),
    ((3, 6, 7, 4), (3, 2, 4, 5), [1, 2], "VALID", F32),
    ((1, 9, 9, 1), (4, 4, 1, 2), 3, "SAME", F32),
    ((1, 9, 7, 3), (5, 5, 3, 1), [2, 1], "SAME", F32),
    ((1, 11, 11, 1), (5, 5, 1, 1), 3, "VALID", F32),
    ((1, 7, 6, 3), (1, 3, 3, 2), [1, 1, 2, 1], "SAME", F32),
    ((1, 6, 7, 1), (3, 1, 1, 2), 2, "VALID", F32),
    ((3, 5, 5, 3), (1, 1, 3, 5), [2], "VALID", F32),
    ((1, 6, 6, 4), (2, 3, 4, 1), [1, 3, 3, 1], "SAME", F32),
    ((1, 5, 5, 1), (3, 3, 1, 2), 1, _pads(2, 2, 1, 1), F32),
    ((1, 6, 8, 3), (3, 3, 3, 2), [2, 2], _pads(1, 0, 0, 2), F32),
    ((3, 5, 6, 1), (3, 2, 1, 5), [1, 1, 2, 1], _pads(0, 1, 2, 1), F32),
    ((1, 5, 3, 3), (5, 3, 3, 2), 1, "VALID", F32),       # kernel = input (non-square): 1x1 output
    ((1, 4, 4, 1), (4, 4, 1, 1), 1, "SAME", F32),        # kernel = input, SAME
    ((1, 3, 3, 1), (4, 4, 1, 2), 1, "VALID", F32),       # kernel one larger: empty output
    ((1, 4, 3, 3), (4, 4, 3, 1), 1, "VALID", F32),       # one larger in width only: (1, 1, 0, 1)
    ((1, 1, 1, 3), (2, 2, 3, 5), [2], "SAME", F32),      # 1x1 inputs
    ((3, 1, 1, 1), (1, 1, 1, 2), 1, "VALID", F32),
    ((1, 1, 1, 4), (2, 2, 4, 1), 1, "VALID", F32),       # empty
    ((1, 7, 5, 3), (3, 3, 3, 2), 2, "SAME", F64),
    ((3, 6, 6, 1), (2, 2, 1, 1), [2, 1], "VALID", F64),
    ((1, 6, 7, 1), (3, 3, 1, 2), 1, "SAME", I32),
    ((1, 7, 6, 3), (3, 2, 3, 2), [1, 2], "VALID", I32),
    ((1, 9, 9, 1), (2, 2, 1, 1), 2, "SAME", F32),
    ((1, 9, 9, 1), (3, 3, 1, 2), 2, "VALID", F32),       # ceil(7 / 2) = 4 rows; floor gives 3
    ((1, 11, 8, 1), (3, 3, 1, 1), 3, "SAME", F32),       # ceil(11 / 3) = 4; floor gives 3
    ((1, 5, 5, 4), (5, 5, 4, 2), 1, "SAME", F32),
    ((3, 7, 7, 4), (3, 3, 4, 5), [3], "SAME", F32),
    ((1, 5, 8, 1), (2, 2, 1, 1), [1, 2, 2, 1], "SAME", F32),
    ((1, 8, 8, 4), (4, 4, 4, 1), [1, 1], "SAME", F32),
    ((1, 9, 7, 3), (2, 3, 3, 2), [1, 3], _pads(2, 1, 1, 2), F32),
    ((1, 7, 7, 4), (3, 3, 4, 2), 1, "VALID", F32),
    ((3, 8, 5, 3), (4, 2, 3, 2), [3, 2], "VALID", F32),
    ((1, 10, 7, 1), (5, 3, 1, 5), [3, 1], "SAME", F32),
    ((1, 6, 9, 4), (3, 3, 4, 1), [1, 3], "SAME", F32),
)

# conv_output_size cases (in_size, filter_size, stride, padding). SAME/VALID expectations come from the shape that
# tf.nn.conv2d produces; an int padding p follows the lecture's floor((w - f + 2p) / s) + 1, or 0 when f does not fit.
OUTPUT_SIZE_GRID = (
    (5, 2, 1, "SAME"), (6, 3, 2, "SAME"),       # REFERENCE §1 counter-examples: 5 (not 4) and 3
    (4, 3, 1, "SAME"), (7, 3, 2, "SAME"), (10, 3, 3, "SAME"), (1, 3, 1, "SAME"), (5, 5, 1, "SAME"),
    (8, 4, 3, "SAME"), (6, 2, 2, "SAME"), (3, 5, 2, "SAME"), (9, 1, 2, "SAME"), (7, 4, 1, "SAME"),
    (32, 5, 2, "SAME"), (1, 1, 1, "SAME"),
    (4, 3, 1, "VALID"), (5, 2, 1, "VALID"), (6, 3, 2, "VALID"), (7, 3, 2, "VALID"), (10, 3, 3, "VALID"),
    (4, 5, 1, "VALID"), (1, 1, 1, "VALID"), (5, 5, 1, "VALID"), (8, 4, 3, "VALID"), (9, 1, 2, "VALID"),
    (7, 2, 3, "VALID"), (6, 6, 2, "VALID"), (1, 2, 3, "VALID"), (32, 5, 2, "VALID"),
    (4, 3, 1, 0), (4, 3, 1, 1),                 # REFERENCE §2: 2, and 4 (= SAME at stride 1)
    (5, 2, 1, 0), (7, 3, 2, 1), (6, 3, 2, 1), (32, 5, 2, 2), (5, 3, 2, 0), (2, 5, 1, 0), (2, 5, 1, 1),
    (3, 5, 1, 1), (10, 3, 3, 1), (1, 1, 1, 0), (8, 4, 3, 2), (9, 2, 4, 3),
)


@dataclass(frozen=True, eq=False)   # eq=False: comparing arrays field by field has no single truth value
class ConvCase:
    id: str
    inputs: np.ndarray       # [batch, in_height, in_width, in_channels]
    filters: np.ndarray      # [filter_height, filter_width, in_channels, out_channels]
    strides: Any             # exactly as given to tf.nn.conv2d: int or list
    padding: Any             # "SAME", "VALID" or [[0, 0], [top, bottom], [left, right], [0, 0]]
    expected: np.ndarray     # tf.nn.conv2d's output [batch, out_height, out_width, out_channels]
    description: str         # e.g. "inputs (3, 7, 5, 4) float32, filters (2, 3, 4, 5), strides [1, 2], VALID"
    exposes: tuple = ()      # names of the known mistakes (mistakes.py) whose output differs on this case
    given: Any = None        # for a case in the grader's canonical form (forms.canonical_case): the fixture as built


# ---------------------------------------------------------------------------------------------------- loading

def load_conv_cases(name, fixture_dir=FIXTURE_DIR):
    """The conv2d cases of one set, name "public" or "hidden", as a list of ConvCase (NumPy only)."""
    if name not in CONV_SETS:
        raise ValueError(f"name must be one of {CONV_SETS}; got {name!r}")
    with np.load(Path(fixture_dir) / f"{name}.npz", allow_pickle=False) as data:
        return [ConvCase(id=meta["id"], inputs=data[f"{meta['id']}/inputs"], filters=data[f"{meta['id']}/filters"],
                         strides=meta["strides"], padding=meta["padding"], expected=data[f"{meta['id']}/expected"],
                         description=meta["description"], exposes=tuple(meta["exposes"]))
                for meta in json.loads(str(data["cases"]))]


def load_output_size_cases(fixture_dir=FIXTURE_DIR):
    """conv_output_size cases: a list of {in_size, filter_size, stride, padding, expected}."""
    return json.loads((Path(fixture_dir) / "output_size.json").read_text())


def load_digits(fixture_dir=FIXTURE_DIR):
    """The digits split: {train_inputs float32 [n, 8, 8, 1], train_labels int64 [n], test_inputs, test_labels}."""
    with np.load(Path(fixture_dir) / "digits.npz", allow_pickle=False) as data:
        return {key: data[key] for key in data.files}


def load_manifest(fixture_dir=FIXTURE_DIR):
    return json.loads((Path(fixture_dir) / MANIFEST).read_text())


def fixture_hash(fixture_dir=FIXTURE_DIR):
    """sha256 (hex) of the fixture data files, as recorded in manifest.json when they were built."""
    return load_manifest(fixture_dir)["sha256"]


def content_hash(fixture_dir=FIXTURE_DIR):
    """(sha256 of all data files, {file name: sha256}) computed now from the files present in fixture_dir."""
    per_file = {}
    for file_name in DATA_FILES:
        path = Path(fixture_dir) / file_name
        if path.is_file():
            per_file[file_name] = hashlib.sha256(path.read_bytes()).hexdigest()
    combined = hashlib.sha256("".join(f"{name} {digest}\n" for name, digest in per_file.items()).encode())
    return combined.hexdigest(), per_file


# --------------------------------------------------------------------------------------------------- building

def _import_tensorflow():
    """TensorFlow on the CPU with its reference kernels (oneDNN returns a wrong shape for a VALID kernel one pixel
    larger than the input). The environment must be set before the first import."""
    os.environ["TF_ENABLE_ONEDNN_OPTS"] = "0"
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    os.environ["CUDA_VISIBLE_DEVICES"] = "-1"
    import tensorflow as tf
    return tf


def _random(rng, shape, dtype):
    """Random non-symmetric values: standard normal for floats, small integers in [-4, 4] for int32."""
    if dtype == I32:
        return rng.integers(-4, 5, size=shape).astype(np.int32)
    return rng.standard_normal(shape).astype(dtype)


def _describe(inputs, filters, strides, padding):
    return (f"inputs {tuple(inputs.shape)} {inputs.dtype}, filters {tuple(filters.shape)}, "
            f"strides {strides}, {padding if isinstance(padding, str) else f'padding {padding}'}")


def _lecture_cases():
    """REFERENCE §2's worked examples as (id, inputs, filters, strides, padding, note), float32 with integer values."""
    edges_image = [[2, 0, 1, 3], [7, 1, 1, 0], [0, 2, 5, 0], [0, 5, 1, 4]]
    edges_kernel = [[1, 1, 1], [0, 0, 0], [-1, -1, -1]]              # -> [[-4, -3], [3, -8]]
    sobel_image = [[2, 0, 3, 1], [1, 1, 0, 0], [1, 0, 2, 0], [1, 0, 1, 2]]
    sobel_kernel = [[1, 0, -1], [2, 0, -2], [1, 0, -1]]              # -> [[0, 1], [-1, -1]]
    # Curve detector: 30 along a curve; on a field with the same curve the sum is 6600, on a field whose
    # strokes miss the filter's cells it is 0. Pixels off the filter's cells make both fields non-symmetric.
    curve = np.zeros((7, 7), np.float32)
    for row, column in [(0, 5), (1, 4), (2, 3), (3, 3), (4, 3), (5, 3)]:
        curve[row, column] = 30
    matching, missing = np.zeros((7, 7), np.float32), np.zeros((7, 7), np.float32)
    for (row, column), value in {(0, 5): 50, (1, 4): 50, (2, 3): 50, (3, 3): 20, (4, 3): 50,
                                 (5, 2): 50, (6, 2): 50, (0, 6): 20}.items():
        matching[row, column] = value                                # 30 * (50 + 50 + 50 + 20 + 50) = 6600
    for row in range(7):
        missing[row, 0] = 40
        missing[row, 1] = 20 if row % 2 else 0
    image = lambda rows: np.array(rows, np.float32).reshape(1, 4, 4, 1)
    kernel = lambda rows: np.array(rows, np.float32).reshape(3, 3, 1, 1)
    return [
        ("lecture_edges", image(edges_image), kernel(edges_kernel), 1, "VALID",
         "lecture: horizontal-edge filter on a 4x4 image, expected [[-4, -3], [3, -8]]"),
        ("lecture_sobel", image(sobel_image), kernel(sobel_kernel), 1, "VALID",
         "lecture: Sobel filter on a 4x4 image, expected [[0, 1], [-1, -1]]"),
        ("lecture_curve", np.stack([matching, missing]).reshape(2, 7, 7, 1), curve.reshape(7, 7, 1, 1), 1, "VALID",
         "lecture: curve detector on a matching and a non-matching field, expected 6600 and 0"),
    ]


def _make_case(tf, case_id, inputs, filters, strides, padding, note=None):
    """One case's (arrays, metadata): expected from tf.nn.conv2d, cross-checked against the reference conv2d."""
    from autograder import mistakes
    from autograder.reference import reference_conv2d

    expected = tf.nn.conv2d(inputs, filters, strides, padding).numpy()
    reference = reference_conv2d(inputs, filters, strides, padding)
    if expected.shape != reference.shape or not np.allclose(expected, reference, rtol=CONFIG.tolerance.rtol,
                                                            atol=CONFIG.tolerance.atol):
        raise RuntimeError(f"{case_id}: tf.nn.conv2d gives shape {expected.shape}, the reference conv2d "
                           f"{reference.shape} (or other values); is oneDNN on, or is solution/convolution.py wrong?")
    exposes = []
    for mistake in mistakes.MISTAKES:
        mistaken = mistake.compute(inputs, filters, strides, padding)
        if mistaken.shape != expected.shape or not np.allclose(mistaken, expected, rtol=CONFIG.tolerance.rtol,
                                                               atol=CONFIG.tolerance.atol):
            exposes.append(mistake.name)
    meta = {"id": case_id, "strides": strides, "padding": padding, "dtype": str(inputs.dtype),
            "description": _describe(inputs, filters, strides, padding), "exposes": exposes}
    if note:
        meta["note"] = note
    arrays = {f"{case_id}/inputs": inputs, f"{case_id}/filters": filters, f"{case_id}/expected": expected}
    return arrays, meta


def _build_conv_set(tf, name, grid, seed, with_lecture):
    """(arrays, metadata list) of one set: the lecture's examples first (public only), then the random grid."""
    arrays, metas = {}, []
    cases = _lecture_cases() if with_lecture else []
    rng = np.random.default_rng(seed)
    for index, (input_shape, filter_shape, strides, padding, dtype) in enumerate(grid):
        cases.append((f"{name}{index:03d}", _random(rng, input_shape, dtype), _random(rng, filter_shape, dtype),
                      strides, padding, None))
    for case_id, inputs, filters, strides, padding, note in cases:
        case_arrays, meta = _make_case(tf, case_id, inputs, filters, strides, padding, note)
        arrays.update(case_arrays)
        metas.append(meta)
    return arrays, metas


def _build_output_sizes(tf):
    """OUTPUT_SIZE_GRID with expected sizes: tf.nn.conv2d's output shape for SAME/VALID, the lecture formula for p."""
    from autograder.reference import reference_conv_output_size

    cases = []
    for in_size, filter_size, stride, padding in OUTPUT_SIZE_GRID:
        if isinstance(padding, str):
            output = tf.nn.conv2d(np.zeros((1, in_size, 1, 1), np.float32),
                                  np.zeros((filter_size, 1, 1, 1), np.float32), [stride, 1], padding)
            expected = int(output.shape[1])
        else:
            padded = in_size + 2 * padding
            expected = (padded - filter_size) // stride + 1 if padded >= filter_size else 0
        reference = reference_conv_output_size(in_size, filter_size, stride, padding)
        if reference != expected:
            raise RuntimeError(f"conv_output_size({in_size}, {filter_size}, {stride}, {padding!r}): expected "
                               f"{expected}, the reference gives {reference}")
        cases.append({"in_size": in_size, "filter_size": filter_size, "stride": stride, "padding": padding,
                      "expected": expected})
    return cases


def _load_preprocess():
    """solution/preprocess.py loaded by path (module name "reference_preprocess"), or None if it is missing."""
    path = SOLUTION_DIR / "preprocess.py"
    if not path.is_file():
        return None
    spec = importlib.util.spec_from_file_location("reference_preprocess", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _build_digits():
    """The digits split as a dict of arrays, or None while solution/preprocess.py does not exist."""
    preprocess = _load_preprocess()
    if preprocess is None:
        return None
    train_inputs, train_labels, test_inputs, test_labels = preprocess.get_data(
        "digits", test_fraction=CONFIG.test_fraction, seed=CONFIG.digits_split_seed)
    # A secret perturbation of the graded test images (see config.digits_test_noise): exact lookup fails.
    noise = np.random.default_rng(CONFIG.digits_test_noise_seed).normal(0.0, CONFIG.digits_test_noise,
                                                                         test_inputs.shape)
    test_inputs = np.clip(test_inputs + noise, 0.0, 1.0).astype(np.float32)
    return {"train_inputs": train_inputs, "train_labels": train_labels,
            "test_inputs": test_inputs, "test_labels": test_labels}


def _write_npz(path, arrays):
    """Like np.savez_compressed, but with a fixed timestamp per entry so that equal arrays give equal bytes."""
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for key, array in arrays.items():
            buffer = io.BytesIO()
            np.lib.format.write_array(buffer, np.asarray(array), allow_pickle=False)
            info = zipfile.ZipInfo(f"{key}.npy", date_time=_ZIP_DATE)
            info.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(info, buffer.getvalue())


def _write_json(path, value):
    Path(path).write_text(json.dumps(value, indent=1) + "\n")


def build(out_dir=FIXTURE_DIR):
    """Write all fixtures into out_dir (imports TensorFlow). Returns the manifest dict."""
    tf = _import_tensorflow()
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)

    counts = {}
    for name, grid, seed in (("public", PUBLIC_GRID, CONFIG.public_seed), ("hidden", HIDDEN_GRID, CONFIG.hidden_seed)):
        arrays, metas = _build_conv_set(tf, name, grid, seed, with_lecture=(name == "public"))
        _write_npz(out_dir / f"{name}.npz", {"cases": np.array(json.dumps(metas)), **arrays})
        counts[name] = len(metas)

    output_sizes = _build_output_sizes(tf)
    _write_json(out_dir / "output_size.json", output_sizes)
    counts["output_size"] = len(output_sizes)

    digits = _build_digits()
    if digits is not None:
        _write_npz(out_dir / "digits.npz", digits)
        counts["digits_train"], counts["digits_test"] = len(digits["train_labels"]), len(digits["test_labels"])

    combined, per_file = content_hash(out_dir)
    manifest = {"tensorflow": tf.__version__, "numpy": np.__version__, "public_seed": CONFIG.public_seed,
                "hidden_seed": CONFIG.hidden_seed, "digits_split_seed": CONFIG.digits_split_seed,
                "test_fraction": CONFIG.test_fraction, "counts": counts, "files": per_file, "sha256": combined}
    _write_json(out_dir / MANIFEST, manifest)
    return manifest


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m autograder.fixtures",
                                     description="Build the grading fixtures with tf.nn.conv2d.")
    parser.add_argument("--out", default=str(FIXTURE_DIR), help=f"output folder (default {FIXTURE_DIR})")
    args = parser.parse_args(argv)
    manifest = build(args.out)
    print(f"fixtures written to {args.out}: {manifest['counts']}, sha256 {manifest['sha256'][:12]}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
