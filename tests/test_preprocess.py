"""The dataset loader: digits split, and CIFAR-10's python batches read from a small fixture written here."""
import pickle
from collections import Counter

import numpy as np
import pytest

from preprocess import get_data

CIFAR_NAMES = ["airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck"]
IMAGES_PER_BATCH = 12


def _write_batch(path, pixels, labels):
    with open(path, "wb") as f:
        pickle.dump({b"data": pixels, b"labels": list(labels), b"batch_label": b"fixture"}, f)


@pytest.fixture
def cifar_dir(tmp_path):
    """A CIFAR-10-format folder: 5 train batches and a test batch of random images, every class present, and meta.
    Returns (folder, {file name: (pixels uint8 [n, 3072], labels [n])})."""
    rng = np.random.default_rng(7)
    batches = {}
    for name in [f"data_batch_{number}" for number in range(1, 6)] + ["test_batch"]:
        pixels = rng.integers(0, 256, (IMAGES_PER_BATCH, 3072), dtype=np.uint8)
        labels = rng.permutation(np.arange(IMAGES_PER_BATCH) % 10)
        _write_batch(tmp_path / name, pixels, labels)
        batches[name] = (pixels, labels)
    with open(tmp_path / "batches.meta", "wb") as f:
        pickle.dump({b"label_names": [name.encode() for name in CIFAR_NAMES], b"num_vis": 3072}, f)
    return tmp_path, batches


def test_cifar_all_classes_shapes_dtypes_and_range(cifar_dir):
    folder, batches = cifar_dir
    train_inputs, train_labels, test_inputs, test_labels = get_data("cifar", data_dir=str(folder))
    assert train_inputs.shape == (5 * IMAGES_PER_BATCH, 32, 32, 3)
    assert test_inputs.shape == (IMAGES_PER_BATCH, 32, 32, 3)
    assert train_inputs.dtype == test_inputs.dtype == np.float32
    assert train_labels.dtype == test_labels.dtype == np.int64
    assert 0.0 <= train_inputs.min() and train_inputs.max() <= 1.0
    # Without `classes`, labels keep their original ids and the batches keep their order.
    expected_train_labels = np.concatenate([batches[f"data_batch_{n}"][1] for n in range(1, 6)])
    np.testing.assert_array_equal(train_labels, expected_train_labels)
    np.testing.assert_array_equal(test_labels, batches["test_batch"][1])


def test_cifar_channel_major_rows_become_nhwc(tmp_path):
    # One image whose pixels are all 0 except red at (row 1, col 2), green at (row 3, col 0), blue at (row 31, col 31).
    pixels = np.zeros((1, 3072), np.uint8)
    pixels[0, 0 * 1024 + 1 * 32 + 2] = 255
    pixels[0, 1 * 1024 + 3 * 32 + 0] = 51
    pixels[0, 2 * 1024 + 31 * 32 + 31] = 102
    for name in [f"data_batch_{number}" for number in range(1, 6)] + ["test_batch"]:
        _write_batch(tmp_path / name, pixels, [4])
    with open(tmp_path / "batches.meta", "wb") as f:
        pickle.dump({b"label_names": [name.encode() for name in CIFAR_NAMES]}, f)

    _, _, test_inputs, _ = get_data("cifar", data_dir=str(tmp_path))
    image = test_inputs[0]
    assert image[1, 2, 0] == pytest.approx(1.0)
    assert image[3, 0, 1] == pytest.approx(0.2)
    assert image[31, 31, 2] == pytest.approx(0.4)
    assert np.count_nonzero(image) == 3


def test_cifar_class_filter_keeps_only_those_and_relabels_in_given_order(cifar_dir):
    folder, batches = cifar_dir
    train_inputs, train_labels, test_inputs, test_labels = get_data(
        "cifar", data_dir=str(folder), classes=["dog", "cat"])
    dog, cat = CIFAR_NAMES.index("dog"), CIFAR_NAMES.index("cat")

    test_pixels, original_test_labels = batches["test_batch"]
    kept = np.isin(original_test_labels, [dog, cat])
    np.testing.assert_array_equal(test_labels, np.where(original_test_labels[kept] == dog, 0, 1))
    np.testing.assert_allclose(test_inputs, test_pixels[kept].reshape(-1, 3, 32, 32).transpose(0, 2, 3, 1) / 255,
                               rtol=1e-6)
    # Every batch holds each class at least once, so both classes come from all five train batches.
    assert set(train_labels.tolist()) == {0, 1}
    expected_train_count = sum(np.isin(batches[f"data_batch_{n}"][1], [dog, cat]).sum() for n in range(1, 6))
    assert len(train_labels) == len(train_inputs) == expected_train_count


def test_cifar_errors_name_the_problem(cifar_dir, tmp_path_factory):
    folder, _ = cifar_dir
    with pytest.raises(ValueError, match="unicorn"):
        get_data("cifar", data_dir=str(folder), classes=["cat", "unicorn"])
    with pytest.raises(ValueError, match="data_dir"):
        get_data("cifar")
    (folder / "data_batch_3").unlink()
    with pytest.raises(FileNotFoundError, match="data_batch_3"):
        get_data("cifar", data_dir=str(folder))
    with pytest.raises(FileNotFoundError, match="batches.meta"):
        get_data("cifar", data_dir=str(tmp_path_factory.mktemp("empty")))


def test_unknown_dataset_is_a_value_error():
    with pytest.raises(ValueError, match="mnist"):
        get_data("mnist")


@pytest.fixture(scope="module")
def digits_split():
    return get_data()


def test_digits_shapes_range_and_sizes(digits_split):
    train_inputs, train_labels, test_inputs, test_labels = digits_split
    assert train_inputs.shape[1:] == test_inputs.shape[1:] == (8, 8, 1)
    assert train_inputs.dtype == test_inputs.dtype == np.float32
    assert train_labels.dtype == test_labels.dtype == np.int64
    assert len(train_inputs) + len(test_inputs) == 1797
    assert len(test_inputs) == pytest.approx(0.25 * 1797, abs=10)
    both = np.concatenate([train_inputs, test_inputs])
    assert both.min() == 0.0 and both.max() == 1.0  # pixel values 0..16 scaled by 1/16


def test_digits_split_uses_every_image_exactly_once(digits_split):
    from sklearn.datasets import load_digits

    train_inputs, train_labels, test_inputs, test_labels = digits_split
    digits = load_digits()
    # Compare multisets of (image, label): the digits set holds a few exact duplicate images.
    expected = Counter((image.tobytes(), int(label)) for image, label in
                       zip((digits.images / 16).astype(np.float32), digits.target))
    split = Counter((image[..., 0].tobytes(), int(label)) for image, label in
                    zip(np.concatenate([train_inputs, test_inputs]), np.concatenate([train_labels, test_labels])))
    assert split == expected


def test_digits_split_is_stratified(digits_split):
    _, train_labels, _, test_labels = digits_split
    train_counts = np.bincount(train_labels, minlength=10)
    test_counts = np.bincount(test_labels, minlength=10)
    fractions = test_counts / (train_counts + test_counts)
    np.testing.assert_allclose(fractions, 0.25, atol=0.01)


def test_digits_split_is_deterministic_per_seed_and_changes_with_it(digits_split):
    again = get_data(seed=0)
    for first, second in zip(digits_split, again):
        np.testing.assert_array_equal(first, second)
    other = get_data(seed=1)
    assert not np.array_equal(digits_split[1], other[1])
    smaller_test = get_data(test_fraction=0.1)
    assert len(smaller_test[2]) == pytest.approx(180, abs=10)


def test_digits_rejects_bad_arguments():
    with pytest.raises(ValueError, match="test_fraction"):
        get_data(test_fraction=1.5)
    with pytest.raises(ValueError, match="cifar"):
        get_data(classes=["cat"])
