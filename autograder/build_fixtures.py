"""Building the fixture files with TensorFlow: `python -m autograder fixtures` (`make fixtures`, which also remakes
the stencil) runs tf.nn.conv2d on the cases of autograder/grids.py and writes autograder/fixtures/ (described in
autograder/fixture_files.py, which reads them at grade time without TensorFlow).

The files hold only what TensorFlow produced from the grids: the known mistakes are no part of them, so adding one
changes neither the files nor fixture_hash(). On one machine the build is deterministic, byte for byte. On another CPU
TensorFlow's float sums may round differently (SIMD widths, FMA), so the committed files are the truth: a rebuild
replaces a file only when its content differs beyond rounding (`differences`), and a fresh clone's tree stays clean.
"""
import argparse
import importlib.util
import json
import os
import shutil
import sys
import tempfile
from pathlib import Path

import numpy as np

from autograder import grids
from autograder.config import CONFIG
from autograder.fixture_files import (CONV_SETS, DATA_FILES, FIXTURE_DIR, MANIFEST, content_hash, load_conv_cases,
                                      load_digits, load_output_size_cases, write_npz)
from autograder.reference import reference_conv2d, reference_conv_output_size
from autograder.tolerance import conv_magnitude, same_output, same_rebuild

SOLUTION_DIR = Path(__file__).resolve().parent.parent / "solution"


def _import_tensorflow():
    """TensorFlow on the CPU with its reference kernels (oneDNN returns a wrong shape for a VALID kernel one pixel
    larger than the input). The environment must be set before the first import."""
    os.environ["TF_ENABLE_ONEDNN_OPTS"] = "0"
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    os.environ["CUDA_VISIBLE_DEVICES"] = "-1"
    import tensorflow as tf
    return tf


def _make_case(tf, case_id, inputs, filters, strides, padding, note=None):
    """One case's (arrays, metadata): expected from tf.nn.conv2d, cross-checked against the reference conv2d."""
    expected = tf.nn.conv2d(inputs, filters, strides, padding).numpy()
    reference = reference_conv2d(inputs, filters, strides, padding)
    if not same_output(expected, reference, CONFIG.tolerance):
        raise RuntimeError(f"{case_id}: tf.nn.conv2d gives shape {expected.shape}, the reference conv2d "
                           f"{reference.shape} (or other values); is oneDNN on, or is solution/convolution.py wrong?")
    meta = {"id": case_id, "strides": strides, "padding": padding, "dtype": str(inputs.dtype)}
    if note:
        meta["note"] = note
    arrays = {f"{case_id}/inputs": inputs, f"{case_id}/filters": filters, f"{case_id}/expected": expected}
    return arrays, meta


def _build_conv_set(tf, name):
    """(arrays, metadata list) of one set (grids.conv_set)."""
    arrays, metas = {}, []
    for case_id, inputs, filters, strides, padding, note in grids.conv_set(name, CONFIG):
        case_arrays, meta = _make_case(tf, case_id, inputs, filters, strides, padding, note)
        arrays.update(case_arrays)
        metas.append(meta)
    return arrays, metas


def _build_output_sizes(tf):
    """OUTPUT_SIZE_GRID with expected sizes: tf.nn.conv2d's output shape for SAME/VALID, the lecture formula for p."""
    cases = []
    for in_size, filter_size, stride, padding in grids.OUTPUT_SIZE_GRID:
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
    # The test images are stored clean: each grading adds fresh secret noise (cases.model.graded_digits).
    return {"train_inputs": train_inputs, "train_labels": train_labels,
            "test_inputs": test_inputs, "test_labels": test_labels}


def _write_json(path, value):
    Path(path).write_text(json.dumps(value, indent=1) + "\n")


def build(out_dir=FIXTURE_DIR):
    """Write all fixtures into out_dir (imports TensorFlow). Returns the manifest dict."""
    tf = _import_tensorflow()
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)

    counts = {}
    for name in CONV_SETS:
        arrays, metas = _build_conv_set(tf, name)
        write_npz(out_dir / f"{name}.npz", {"cases": np.array(json.dumps(metas)), **arrays})
        counts[name] = len(metas)

    output_sizes = _build_output_sizes(tf)
    _write_json(out_dir / "output_size.json", output_sizes)
    counts["output_size"] = len(output_sizes)

    digits = _build_digits()
    if digits is not None:
        write_npz(out_dir / "digits.npz", digits)
        counts["digits_train"], counts["digits_test"] = len(digits["train_labels"]), len(digits["test_labels"])

    combined, per_file = content_hash(out_dir)
    manifest = {"tensorflow": tf.__version__, "numpy": np.__version__, "public_seed": CONFIG.public_seed,
                "hidden_seed": CONFIG.hidden_seed, "digits_split_seed": CONFIG.digits_split_seed,
                "test_fraction": CONFIG.test_fraction, "counts": counts, "files": per_file, "sha256": combined}
    _write_json(out_dir / MANIFEST, manifest)
    return manifest


def _conv_set_differences(name, committed_dir, rebuilt_dir):
    """What differs between two builds of one conv2d set: metadata and inputs exactly, expected outputs up to the
    rounding of their sums (tolerance.same_rebuild). A list of readable lines, empty when they are the same."""
    committed, rebuilt = load_conv_cases(name, committed_dir), load_conv_cases(name, rebuilt_dir)
    if [case.id for case in committed] != [case.id for case in rebuilt]:
        return [f"{name}: the case ids differ"]
    found = []
    for old, new in zip(committed, rebuilt):
        if (old.strides, old.padding, old.description) != (new.strides, new.padding, new.description):
            found.append(f"{name}/{old.id}: strides, padding or shapes differ")
        elif not (same_rebuild(old.inputs, new.inputs, 0) and same_rebuild(old.filters, new.filters, 0)):
            found.append(f"{name}/{old.id}: inputs differ")
        elif not same_rebuild(old.expected, new.expected,
                              conv_magnitude(old.inputs, old.filters, old.strides, old.padding)):
            found.append(f"{name}/{old.id}: expected output differs beyond float rounding")
    return found


def differences(committed_dir, rebuilt_dir):
    """{data file name: [what differs]} for the files of two fixture builds that are not the same data (a file
    missing on one side differs); empty when a rebuild changes nothing but float rounding."""
    committed_dir, rebuilt_dir = Path(committed_dir), Path(rebuilt_dir)
    found = {}
    for file_name in DATA_FILES:
        old, new = committed_dir / file_name, rebuilt_dir / file_name
        if not (old.is_file() and new.is_file()):
            if old.is_file() != new.is_file():
                found[file_name] = ["present in only one of the two builds"]
            continue
        if file_name.endswith(".npz") and file_name[:-4] in CONV_SETS:
            lines = _conv_set_differences(file_name[:-4], committed_dir, rebuilt_dir)
        elif file_name == "output_size.json":
            lines = [] if load_output_size_cases(committed_dir) == load_output_size_cases(rebuilt_dir) else \
                ["the expected sizes differ"]
        else:   # digits.npz: NumPy alone, no sums
            old_digits, new_digits = load_digits(committed_dir), load_digits(rebuilt_dir)
            same = old_digits.keys() == new_digits.keys() and all(
                same_rebuild(old_digits[key], new_digits[key], 0) for key in old_digits)
            lines = [] if same else ["the digits split differs"]
        if lines:
            found[file_name] = lines
    return found


def update(fixture_dir=FIXTURE_DIR):
    """Rebuild, then replace in fixture_dir only the files whose data changed beyond float rounding (and the
    manifest with them). Returns {file name: [what differs]} for the files replaced."""
    fixture_dir = Path(fixture_dir)
    with tempfile.TemporaryDirectory(prefix="fixtures-") as scratch:
        fresh = build(scratch)
        changed = differences(fixture_dir, scratch) if (fixture_dir / MANIFEST).is_file() else \
            {name: ["new"] for name in fresh["files"]}
        if changed:
            fixture_dir.mkdir(parents=True, exist_ok=True)
            for file_name in changed:
                shutil.copyfile(Path(scratch) / file_name, fixture_dir / file_name)
            combined, per_file = content_hash(fixture_dir)
            _write_json(fixture_dir / MANIFEST, {**fresh, "files": per_file, "sha256": combined})
    return changed


def add_arguments(parser):
    parser.add_argument("--out", default=str(FIXTURE_DIR), help=f"fixture folder (default {FIXTURE_DIR})")


def run(args):
    """`python -m autograder fixtures`, from its parsed arguments."""
    changed = update(args.out)
    for file_name, lines in changed.items():
        print(f"{file_name}: " + "; ".join(lines[:3]) + (f" (and {len(lines) - 3} more)" if len(lines) > 3 else ""))
    print(f"fixtures in {args.out}: " + (f"rewrote {', '.join(changed)}" if changed else
                                         "unchanged (a rebuild here gives the same data, up to float rounding)"))
    return 0


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m autograder fixtures",
                                     description="Build the grading fixtures with tf.nn.conv2d.")
    add_arguments(parser)
    return run(parser.parse_args(argv))


if __name__ == "__main__":
    sys.exit(main())
