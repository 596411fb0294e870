"""Loads the assignment's image data as float32 NHWC arrays in [0, 1] with int64 class ids.

Two datasets:
- "digits" (the default): scikit-learn's 1,797 handwritten 8x8 digits, 10 classes. They ship inside the
  scikit-learn package, so nothing is downloaded. Split into train and test by a fixed seed.
- "cifar": CIFAR-10 in its original "python version" pickle batches (data_batch_1..5, test_batch, batches.meta)
  from a folder you downloaded yourself; optionally only some classes, e.g. ["cat", "dog"].
"""
import os
import pickle

import numpy as np

DATASETS = ("digits", "cifar")
CIFAR_TRAIN_FILES = tuple(f"data_batch_{number}" for number in range(1, 6))
CIFAR_TEST_FILE = "test_batch"
CIFAR_META_FILE = "batches.meta"
CIFAR_IMAGE_SIZE = 32
DIGITS_MAX_PIXEL = 16.0


def get_data(dataset="digits", data_dir=None, classes=None, test_fraction=0.25, seed=0):
    """The dataset as (train_inputs, train_labels, test_inputs, test_labels).

    dataset: "digits" or "cifar".
    data_dir: the folder holding CIFAR-10's python batches (needed for "cifar" only).
    classes: for "cifar", a list of class names to keep (e.g. ["cat", "dog"]), relabelled 0..k-1 in the given order;
        None keeps all ten with their original ids.
    test_fraction, seed: for "digits", the fraction of each class held out for testing and the split's seed
        (CIFAR-10 comes with its own test batch).
    Returns inputs float32 [n, height, width, channels] in [0, 1] (digits: [n, 8, 8, 1]; CIFAR: [n, 32, 32, 3])
    and labels int64 [n].
    """
    if dataset == "digits":
        if classes is not None:
            raise ValueError("classes applies to dataset='cifar' only")
        return _get_digits(test_fraction, seed)
    if dataset == "cifar":
        if data_dir is None:
            raise ValueError("dataset='cifar' needs data_dir, the folder holding data_batch_1..5, test_batch and "
                             "batches.meta")
        return _get_cifar(data_dir, classes)
    raise ValueError(f"dataset must be one of {DATASETS}; got {dataset!r}")


def _get_digits(test_fraction, seed):
    """scikit-learn's digits, [n, 8, 8, 1] in [0, 1], split per class so both parts keep the class balance."""
    from sklearn.datasets import load_digits  # here, so that CIFAR users do not pay for importing scikit-learn

    if not 0 < test_fraction < 1:
        raise ValueError(f"test_fraction must be between 0 and 1 (exclusive); got {test_fraction!r}")
    digits = load_digits()
    inputs = (digits.images / DIGITS_MAX_PIXEL).astype(np.float32)[..., np.newaxis]
    labels = digits.target.astype(np.int64)

    # Stratified split: shuffle each class's indices with one seeded generator and hold out the same fraction of each.
    rng = np.random.default_rng(seed)
    train_indices, test_indices = [], []
    for label in np.unique(labels):
        indices = rng.permutation(np.flatnonzero(labels == label))
        test_count = int(round(test_fraction * len(indices)))
        test_indices.append(indices[:test_count])
        train_indices.append(indices[test_count:])
    # Shuffle across classes too, so that the arrays are not sorted by label.
    train_indices = rng.permutation(np.concatenate(train_indices))
    test_indices = rng.permutation(np.concatenate(test_indices))
    return inputs[train_indices], labels[train_indices], inputs[test_indices], labels[test_indices]


def _get_cifar(data_dir, classes):
    """CIFAR-10's python batches from data_dir, [n, 32, 32, 3] in [0, 1], optionally only some classes."""
    label_names = [name.decode("utf-8") for name in _unpickle(data_dir, CIFAR_META_FILE)[b"label_names"]]
    if classes is None:
        classes = label_names
    unknown = [name for name in classes if name not in label_names]
    if unknown:
        raise ValueError(f"unknown CIFAR class name(s) {unknown}; the classes are {label_names}")
    if len(set(classes)) != len(classes):
        raise ValueError(f"classes must not repeat a name; got {list(classes)}")
    # new_label[original id] = position in `classes`, or -1 for a class that is dropped.
    new_label = np.full(len(label_names), -1, np.int64)
    for position, name in enumerate(classes):
        new_label[label_names.index(name)] = position

    train_batches = [_read_cifar_batch(data_dir, name, new_label) for name in CIFAR_TRAIN_FILES]
    train_inputs = np.concatenate([inputs for inputs, _ in train_batches])
    train_labels = np.concatenate([labels for _, labels in train_batches])
    test_inputs, test_labels = _read_cifar_batch(data_dir, CIFAR_TEST_FILE, new_label)
    return train_inputs, train_labels, test_inputs, test_labels


def _read_cifar_batch(data_dir, file_name, new_label):
    """One batch file as (inputs float32 [n, 32, 32, 3] in [0, 1], labels int64 [n]), keeping new_label >= 0 only."""
    batch = _unpickle(data_dir, file_name)
    labels = new_label[np.asarray(batch[b"labels"], np.int64)]
    keep = labels >= 0
    # Each row is channel-major: 1024 red values, then 1024 green, then 1024 blue, each plane row by row.
    pixels = np.asarray(batch[b"data"], np.uint8)[keep]
    images = pixels.reshape(-1, 3, CIFAR_IMAGE_SIZE, CIFAR_IMAGE_SIZE).transpose(0, 2, 3, 1)
    return (images / np.float32(255)).astype(np.float32), labels[keep]


def _unpickle(data_dir, file_name):
    """The dict stored in one of CIFAR-10's python files (its keys are bytes)."""
    path = os.path.join(data_dir, file_name)
    if not os.path.isfile(path):
        raise FileNotFoundError(f"CIFAR-10 file {file_name!r} not found in {data_dir!r} (expected {path})")
    # These are the instructor's own data files, never student input, so unpickling them is safe.
    with open(path, "rb") as f:
        return pickle.load(f, encoding="bytes")
