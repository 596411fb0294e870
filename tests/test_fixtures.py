"""The committed grading fixtures: loadable without pickle, rich enough, right (tf.nn.conv2d now), and up to date."""
import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from autograder import build_fixtures, fixture_files as fixtures, grids
from autograder.config import CONFIG
from autograder.fixture_files import FIXTURE_DIR, load_conv_cases, load_output_size_cases
from autograder.reference import reference_conv2d, reference_conv_output_size
from autograder.tolerance import conv_magnitude, same_rebuild

TOLERANCE = CONFIG.tolerance


@pytest.fixture(scope="module")
def tf():
    import tensorflow  # conftest.py has turned oneDNN off before this import
    return tensorflow


@pytest.fixture(scope="module", params=fixtures.CONV_SETS)
def conv_set(request):
    return request.param, load_conv_cases(request.param)


@pytest.fixture(scope="module")
def rebuilt(tmp_path_factory):
    out_dir = tmp_path_factory.mktemp("fixtures")
    build_fixtures.build(out_dir)
    return out_dir


def _stride_pair(strides):
    if isinstance(strides, int):
        return strides, strides
    return {1: (strides[0], strides[0]), 2: tuple(strides), 4: tuple(strides[1:3])}[len(strides)]


def test_fixture_files_load_without_pickle_or_tensorflow():
    # A fresh interpreter: loading must not import TensorFlow (the grader's memory budget) nor need pickle.
    code = ("import sys; from autograder import fixture_files as fixtures; "
            "[fixtures.load_conv_cases(n) for n in ('public', 'hidden')]; fixtures.load_output_size_cases(); "
            "fixtures.load_digits(); fixtures.fixture_hash(); "
            "import autograder.mistakes; print('tensorflow' in sys.modules)")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=FIXTURE_DIR.parent.parent,
                            timeout=60)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "False"
    for name in ("public.npz", "hidden.npz", "digits.npz"):
        with np.load(FIXTURE_DIR / name, allow_pickle=False) as data:
            for key in data.files:
                assert data[key].dtype != object, (name, key)


def test_fixtures_are_small():
    conv_bytes = sum((FIXTURE_DIR / name).stat().st_size for name in ("public.npz", "hidden.npz", "output_size.json"))
    assert conv_bytes < 1_000_000


def test_case_counts_and_metadata(conv_set):
    name, cases = conv_set
    assert 35 <= len(cases) <= 60
    assert len({case.id for case in cases}) == len(cases)
    for case in cases:
        assert case.inputs.ndim == case.filters.ndim == case.expected.ndim == 4
        assert str(case.inputs.shape) in case.description and str(case.filters.shape) in case.description
        assert case.inputs.dtype == case.filters.dtype


def test_grid_covers_the_issue(conv_set):
    name, cases = conv_set
    stride_forms = {"int" if isinstance(case.strides, int) else f"list{len(case.strides)}" for case in cases}
    assert stride_forms == {"int", "list1", "list2", "list4"}
    stride_pairs = {_stride_pair(case.strides) for case in cases}
    assert {(1, 1), (2, 2), (3, 3), (1, 2), (2, 1)} <= stride_pairs
    paddings = {case.padding if isinstance(case.padding, str) else "explicit" for case in cases}
    assert paddings == {"SAME", "VALID", "explicit"}
    assert any(not isinstance(case.padding, str) and case.padding[1][0] != case.padding[1][1] for case in cases)
    kernels = {case.filters.shape[:2] for case in cases}
    assert {(1, 1), (2, 2), (3, 3), (4, 4), (5, 5), (2, 3), (3, 1)} <= kernels
    spatial = {case.inputs.shape[1:3] for case in cases}
    assert any(h == w and h % 2 == 1 and h > 1 for h, w in spatial)
    assert any(h == w and h % 2 == 0 for h, w in spatial)
    assert any(h != w for h, w in spatial)
    assert (1, 1) in spatial
    assert {1, 3, 4} <= {case.inputs.shape[3] for case in cases}
    assert {1, 2, 5} <= {case.filters.shape[3] for case in cases}
    assert {1, 3} <= {case.inputs.shape[0] for case in cases}
    assert {"float32", "float64", "int32"} == {str(case.inputs.dtype) for case in cases}
    valid = [case for case in cases if case.padding == "VALID"]
    assert any(case.filters.shape[:2] == case.inputs.shape[1:3] for case in valid)          # kernel = input
    one_larger = [case for case in valid if max(np.subtract(case.filters.shape[:2], case.inputs.shape[1:3])) == 1]
    assert one_larger and all(0 in case.expected.shape for case in one_larger)             # empty output
    # Never 2+ larger with VALID: tf.nn.conv2d raises there.
    assert all(max(np.subtract(case.filters.shape[:2], case.inputs.shape[1:3])) <= 1 for case in valid)


def test_values_are_random_and_non_symmetric(conv_set):
    name, cases = conv_set
    for case in cases:
        if case.id.startswith("lecture") or case.filters.shape[:2] == (1, 1):
            continue
        assert not np.array_equal(case.filters, case.filters[::-1, ::-1]), case.id
        if case.inputs.dtype.kind == "f":
            assert np.unique(case.inputs).size > case.inputs.size // 2, case.id  # not all zeros/ones


def test_public_and_hidden_share_no_case():
    public, hidden = load_conv_cases("public"), load_conv_cases("hidden")
    shapes = lambda cases: {(case.inputs.shape, case.filters.shape) for case in cases}
    assert not shapes(public) & shapes(hidden)
    assert not {case.id for case in public} & {case.id for case in hidden}


def test_expected_equals_tensorflow_now_and_the_reference(conv_set, tf):
    name, cases = conv_set
    for case in cases:
        # Copies: the reference conv2d is handed plain C-contiguous arrays, as a student's would be.
        now = tf.nn.conv2d(case.inputs, case.filters, case.strides, case.padding).numpy()
        assert now.shape == case.expected.shape, case.id
        np.testing.assert_allclose(case.expected, now, rtol=1e-5, atol=1e-5, err_msg=case.id)
        ours = reference_conv2d(case.inputs.copy(), case.filters.copy(), case.strides, case.padding)
        assert ours.shape == case.expected.shape, case.id
        np.testing.assert_allclose(ours, case.expected, rtol=TOLERANCE.rtol, atol=TOLERANCE.atol, err_msg=case.id)


def test_lecture_examples_exact_integers():
    cases = {case.id: case for case in load_conv_cases("public")}
    assert cases["lecture_edges"].expected[0, :, :, 0].tolist() == [[-4, -3], [3, -8]]
    assert cases["lecture_sobel"].expected[0, :, :, 0].tolist() == [[0, 1], [-1, -1]]
    assert cases["lecture_curve"].expected[:, 0, 0, 0].tolist() == [6600, 0]


def test_output_size_cases():
    cases = load_output_size_cases()
    assert {"SAME", "VALID"} <= {case["padding"] for case in cases if isinstance(case["padding"], str)}
    assert any(isinstance(case["padding"], int) for case in cases)
    by_args = {(c["in_size"], c["filter_size"], c["stride"], c["padding"]): c["expected"] for c in cases}
    # REFERENCE §1's counter-examples and §2's examples.
    assert by_args[(5, 2, 1, "SAME")] == 5
    assert by_args[(6, 3, 2, "SAME")] == 3
    assert by_args[(4, 3, 1, 0)] == 2
    assert by_args[(4, 3, 1, 1)] == 4
    assert by_args[(4, 5, 1, "VALID")] == 0
    assert by_args[(2, 5, 1, 0)] == 0
    for (in_size, filter_size, stride, padding), expected in by_args.items():
        assert reference_conv_output_size(in_size, filter_size, stride, padding) == expected


def test_output_sizes_match_tensorflow_now(tf):
    for case in load_output_size_cases():
        if isinstance(case["padding"], str):
            output = tf.nn.conv2d(np.zeros((1, case["in_size"], 1, 1), np.float32),
                                  np.zeros((case["filter_size"], 1, 1, 1), np.float32),
                                  [case["stride"], 1], case["padding"])
            assert output.shape[1] == case["expected"], case


def test_digits_split():
    digits = fixtures.load_digits()
    assert digits["train_inputs"].shape[1:] == (8, 8, 1) and digits["train_inputs"].dtype == np.float32
    assert digits["train_labels"].dtype == np.int64
    assert len(digits["train_labels"]) + len(digits["test_labels"]) == 1797
    assert 0 <= digits["train_inputs"].min() and digits["train_inputs"].max() <= 1
    assert set(np.unique(digits["test_labels"])) == set(range(10))


def test_manifest_hash_matches_the_committed_files():
    manifest = fixtures.load_manifest()
    combined, per_file = fixtures.content_hash()
    assert manifest["files"] == per_file
    assert fixtures.fixture_hash() == manifest["sha256"] == combined
    assert manifest["counts"]["public"] == len(load_conv_cases("public"))


def test_fixtures_are_up_to_date(rebuilt):
    # If this fails, a grid, a seed or the solution's preprocess changed: run `make fixtures`. Float sums may round
    # otherwise on this CPU than where the files were built; that is no difference (build_fixtures.differences).
    assert build_fixtures.differences(FIXTURE_DIR, rebuilt) == {}


def test_the_build_is_deterministic_on_one_machine(rebuilt, tmp_path):
    # Two builds in one run: byte for byte the same files (fixed zip timestamps, seeded grids).
    again = build_fixtures.build(tmp_path)
    assert again == json.loads((rebuilt / fixtures.MANIFEST).read_text())
    for name in fixtures.DATA_FILES:
        assert (tmp_path / name).read_bytes() == (rebuilt / name).read_bytes(), name


def test_a_rebuild_that_differs_only_by_rounding_is_the_same_and_a_real_change_is_not(rebuilt, tmp_path):
    """What another CPU gives: each float32 output moved by a few roundings of its sum. A changed value is not."""
    import shutil
    from autograder.tolerance import conv_magnitude
    for name in fixtures.DATA_FILES:
        shutil.copyfile(rebuilt / name, tmp_path / name)
    cases = load_conv_cases("public", rebuilt)
    with np.load(rebuilt / "public.npz", allow_pickle=False) as data:
        arrays = {key[:-len(".npy")] if key.endswith(".npy") else key: data[key] for key in data.files}
    for case in cases:
        if case.expected.dtype == np.float32 and case.expected.size:
            rounding = np.finfo(np.float32).eps * conv_magnitude(case.inputs, case.filters, case.strides,
                                                                 case.padding)
            arrays[f"{case.id}/expected"] = (case.expected + 8 * rounding).astype(np.float32)
    fixtures.write_npz(tmp_path / "public.npz", arrays)
    assert (tmp_path / "public.npz").read_bytes() != (rebuilt / "public.npz").read_bytes()
    assert build_fixtures.differences(rebuilt, tmp_path) == {}

    changed = next(case for case in cases if case.expected.dtype == np.float32 and case.expected.size)
    arrays[f"{changed.id}/expected"] = changed.expected + np.float32(1e-3) * np.abs(changed.expected).max()
    fixtures.write_npz(tmp_path / "public.npz", arrays)
    assert build_fixtures.differences(rebuilt, tmp_path) == {
        "public.npz": [f"public/{changed.id}: expected output differs beyond float rounding"]}


def test_update_leaves_same_data_untouched_and_replaces_changed_files(rebuilt, tmp_path):
    import shutil
    for name in (*fixtures.DATA_FILES, fixtures.MANIFEST):
        shutil.copyfile(rebuilt / name, tmp_path / name)
    before = {path.name: path.read_bytes() for path in tmp_path.iterdir()}
    assert build_fixtures.update(tmp_path) == {}
    assert {path.name: path.read_bytes() for path in tmp_path.iterdir()} == before

    (tmp_path / "output_size.json").write_text("[]\n")
    assert build_fixtures.update(tmp_path) == {"output_size.json": ["the expected sizes differ"]}
    assert load_output_size_cases(tmp_path) == load_output_size_cases()
    manifest = fixtures.load_manifest(tmp_path)
    assert (manifest["sha256"], manifest["files"]) == fixtures.content_hash(tmp_path)


def test_the_case_inputs_are_the_grids_remade_with_numpy_alone(conv_set):
    """What a case is (its inputs, strides, padding) comes from grids.py; the files add only tf.nn.conv2d's output."""
    name, cases = conv_set
    remade = grids.conv_set(name)
    assert [case.id for case in cases] == [case_id for case_id, *_ in remade]
    for case, (_, inputs, filters, strides, padding, _) in zip(cases, remade):
        np.testing.assert_array_equal(case.inputs, inputs)
        np.testing.assert_array_equal(case.filters, filters)
        assert (case.strides, case.padding) == (strides, padding)


def test_the_fixture_files_hold_nothing_about_known_mistakes():
    """So a new known mistake needs no rebuild and leaves fixture_hash() (the version resumed batches compare) as
    it is: the build does not read mistakes.py, and the files do not name a mistake."""
    import ast
    from autograder import mistakes
    source = Path(build_fixtures.__file__).read_text() + Path(fixtures.__file__).read_text()
    imported = {node.module for node in ast.walk(ast.parse(source)) if isinstance(node, ast.ImportFrom)}
    imported |= {alias.name for node in ast.walk(ast.parse(source)) if isinstance(node, ast.ImportFrom)
                 for alias in node.names}
    assert "autograder.mistakes" not in imported and "mistakes" not in imported
    for name in fixtures.CONV_SETS:
        with np.load(FIXTURE_DIR / f"{name}.npz", allow_pickle=False) as data:
            text = str(data["cases"])
        assert not [mistake.name for mistake in mistakes.MISTAKES if mistake.name in text]
        assert "exposes" not in text


def test_one_more_conv2d_case_is_one_grid_line(tf, tmp_path, monkeypatch):
    """A course adds a case: one line in grids.py, then `make fixtures`. The new case is graded with TensorFlow's
    output; the cases before it keep their values (the grid draws its random values in order)."""
    monkeypatch.setattr(grids, "HIDDEN_GRID", grids.HIDDEN_GRID + (((1, 9, 8, 2), (3, 2, 2, 3), [2, 3], "SAME",
                                                                     grids.F32),))
    build_fixtures.build(tmp_path)
    before, after = load_conv_cases("hidden"), load_conv_cases("hidden", tmp_path)
    assert len(after) == len(before) + 1
    for old, new in zip(before, after):
        np.testing.assert_array_equal(old.inputs, new.inputs)
        assert same_rebuild(old.expected, new.expected,
                            conv_magnitude(old.inputs, old.filters, old.strides, old.padding)), old.id
    added = after[-1]
    assert added.expected.shape == (1, 5, 3, 3)
    np.testing.assert_allclose(reference_conv2d(added.inputs, added.filters, added.strides, added.padding),
                               added.expected, rtol=TOLERANCE.rtol, atol=TOLERANCE.atol)
    assert load_output_size_cases(tmp_path) == load_output_size_cases()
