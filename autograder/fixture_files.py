"""The fixture files in autograder/fixtures/: what tf.nn.conv2d produced ahead of time, read at grade time with NumPy
and json only (the grader process must stay small: no TensorFlow). `autograder.build_fixtures` writes them.

- public.npz, hidden.npz   conv2d cases: keys "<id>/inputs", "<id>/filters", "<id>/expected", and "cases", a JSON
                           string with one dict per case (id, strides and padding exactly as given to TensorFlow,
                           dtype, and the lecture's note for its worked examples). Nothing about known mistakes:
                           autograder/mistakes.py computes those from a case's inputs.
- output_size.json         conv_output_size cases {in_size, filter_size, stride, padding, expected}.
- digits.npz               the embedded digits train/test split from solution/preprocess.py's get_data(); the test
                           images clean (each grading adds fresh noise: cases.model.graded_digits).
- manifest.json            versions, seeds, case counts and a sha256 of the data files (fixture_hash()).
"""
import hashlib
import io
import json
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

FIXTURE_DIR = Path(__file__).resolve().parent / "fixtures"
CONV_SETS = ("public", "hidden")
DATA_FILES = ("public.npz", "hidden.npz", "output_size.json", "digits.npz")
MANIFEST = "manifest.json"
_ZIP_DATE = (1980, 1, 1, 0, 0, 0)  # a fixed timestamp inside the .npz files keeps them byte-for-byte reproducible


@dataclass(frozen=True, eq=False)   # eq=False: comparing arrays field by field has no single truth value
class ConvCase:
    id: str
    inputs: np.ndarray       # [batch, in_height, in_width, in_channels]
    filters: np.ndarray      # [filter_height, filter_width, in_channels, out_channels]
    strides: Any             # exactly as given to tf.nn.conv2d: int or list
    padding: Any             # "SAME", "VALID" or [[0, 0], [top, bottom], [left, right], [0, 0]]
    expected: np.ndarray     # tf.nn.conv2d's output [batch, out_height, out_width, out_channels]
    given: Any = None        # for a case in the grader's canonical form (forms.canonical_case): the fixture as built

    @property
    def description(self):
        """e.g. "inputs (3, 7, 5, 4) float32, filters (2, 3, 4, 5), strides [1, 2], VALID"."""
        return describe(self.inputs, self.filters, self.strides, self.padding)


def describe(inputs, filters, strides, padding):
    return (f"inputs {tuple(inputs.shape)} {inputs.dtype}, filters {tuple(filters.shape)}, "
            f"strides {strides}, {padding if isinstance(padding, str) else f'padding {padding}'}")


def load_conv_cases(name, fixture_dir=FIXTURE_DIR):
    """The conv2d cases of one set, name "public" or "hidden", as a list of ConvCase (NumPy only)."""
    if name not in CONV_SETS:
        raise ValueError(f"name must be one of {CONV_SETS}; got {name!r}")
    with np.load(Path(fixture_dir) / f"{name}.npz", allow_pickle=False) as data:
        return [ConvCase(id=meta["id"], inputs=data[f"{meta['id']}/inputs"], filters=data[f"{meta['id']}/filters"],
                         strides=meta["strides"], padding=meta["padding"], expected=data[f"{meta['id']}/expected"])
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
    """sha256 (hex) of the fixture data files, as recorded in manifest.json when they were built. It identifies
    what TensorFlow produced, and nothing else: the known mistakes (mistakes.py) are not part of it."""
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


def write_npz(path, arrays):
    """Like np.savez_compressed, but with a fixed timestamp per entry so that equal arrays give equal bytes."""
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for key, array in arrays.items():
            buffer = io.BytesIO()
            np.lib.format.write_array(buffer, np.asarray(array), allow_pickle=False)
            info = zipfile.ZipInfo(f"{key}.npy", date_time=_ZIP_DATE)
            info.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(info, buffer.getvalue())
