"""The reference CNN: accuracy, determinism, the is_testing path through conv2d, and the small functions.

One seeded model is trained once per module (about 1 s per epoch here) and shared by the tests that need it.
"""
import math

import numpy as np
import pytest
import tensorflow as tf

import assignment
import convolution
from preprocess import get_data

SEED = 0


def _train_seeded(data, seed, epochs):
    """A CNN trained for `epochs` epochs after seeding everything: (model, per-epoch lists of batch losses)."""
    train_inputs, train_labels, _, _ = data
    tf.keras.utils.set_random_seed(seed)
    model = assignment.CNN(10)
    epoch_losses = [assignment.train(model, train_inputs, train_labels) for _ in range(epochs)]
    return model, epoch_losses


@pytest.fixture(scope="module")
def digits():
    return get_data()


@pytest.fixture(scope="module")
def trained(digits):
    return _train_seeded(digits, SEED, assignment.NUM_EPOCHS)


@pytest.mark.slow
def test_reaches_95_percent_on_digits(trained, digits):
    model, _ = trained
    _, _, test_inputs, test_labels = digits
    assert assignment.test(model, test_inputs, test_labels) >= 0.95


@pytest.mark.slow
def test_two_seeded_runs_are_identical(trained, digits):
    model, epoch_losses = trained
    _, _, test_inputs, test_labels = digits
    again_model, again_losses = _train_seeded(digits, SEED, assignment.NUM_EPOCHS)
    assert again_losses == epoch_losses
    assert assignment.test(again_model, test_inputs, test_labels) == assignment.test(model, test_inputs, test_labels)


@pytest.mark.slow
def test_train_returns_one_float_loss_per_batch_and_learns(trained, digits):
    _, epoch_losses = trained
    train_inputs = digits[0]
    assert len(epoch_losses) == assignment.NUM_EPOCHS
    for batch_losses in epoch_losses:
        assert isinstance(batch_losses, list)
        assert len(batch_losses) == math.ceil(len(train_inputs) / assignment.BATCH_SIZE)
        assert all(type(loss) is float and math.isfinite(loss) for loss in batch_losses)
    # An untrained 10-class model starts near ln(10) = 2.3; training must bring the loss well below that.
    assert np.mean(epoch_losses[-1]) < 0.5 * np.mean(epoch_losses[0])


@pytest.mark.slow
def test_is_testing_goes_through_conv2d_and_agrees_with_tf(trained, digits, monkeypatch):
    model, _ = trained
    _, _, test_inputs, _ = digits
    calls = []

    def recording_conv2d(inputs, filters, strides, padding):
        calls.append(np.shape(filters))
        return convolution.conv2d(inputs, filters, strides, padding)

    monkeypatch.setattr(assignment, "conv2d", recording_conv2d)
    tf_logits = model.call(test_inputs).numpy()
    own_logits = model.call(test_inputs, is_testing=True).numpy()

    assert calls == [(3, 3, 1, 16)]  # once, on the model's own first filters
    assert own_logits.shape == tf_logits.shape == (len(test_inputs), 10)
    agreement = np.mean(np.argmax(own_logits, axis=1) == np.argmax(tf_logits, axis=1))
    assert agreement >= 0.99
    np.testing.assert_allclose(own_logits, tf_logits, rtol=1e-4, atol=1e-4)


@pytest.mark.slow
def test_is_testing_really_depends_on_conv2d(trained, digits, monkeypatch):
    # A conv2d that flips the kernel (true convolution, a classic mistake) must change the logits.
    model, _ = trained
    test_inputs = digits[2][:64]

    def flipped_conv2d(inputs, filters, strides, padding):
        return convolution.conv2d(inputs, np.asarray(filters)[::-1, ::-1], strides, padding)

    monkeypatch.setattr(assignment, "conv2d", flipped_conv2d)
    own_logits = model.call(test_inputs, is_testing=True).numpy()
    assert not np.allclose(own_logits, model.call(test_inputs).numpy(), atol=1e-3)


def test_loss_is_mean_sparse_cross_entropy():
    model = assignment.CNN(2)
    logits = tf.constant([[0.0, 0.0], [2.0, 0.0], [0.0, 3.0]])
    labels = np.array([1, 0, 0])  # int class ids, not one-hot
    expected = np.mean([math.log(2), math.log(1 + math.exp(-2)), math.log(1 + math.exp(3))])
    loss = model.loss(logits, labels)
    assert loss.shape == ()
    assert float(loss) == pytest.approx(expected, rel=1e-5)
    assert float(model.loss(logits, tf.constant(labels, tf.int32))) == pytest.approx(expected, rel=1e-5)


def test_accuracy_is_fraction_of_argmax_hits():
    model = assignment.CNN(3)
    logits = np.array([[1.0, 2.0, 0.0], [3.0, 0.0, 1.0], [0.0, 5.0, 9.0], [2.0, 1.0, 0.0]], np.float32)
    accuracy = model.accuracy(tf.constant(logits), np.array([1, 0, 1, 0]))
    assert type(accuracy) is float
    assert accuracy == pytest.approx(0.75)
    assert model.accuracy(logits, np.array([0, 1, 2, 1])) == pytest.approx(0.25)


def test_cifar_shaped_inputs_work_without_changes():
    # 32x32 RGB, 2 classes (the course's cat vs dog): channels are inferred on the first call.
    rng = np.random.default_rng(3)
    inputs = rng.random((40, 32, 32, 3), dtype=np.float32)
    labels = rng.integers(0, 2, 40)
    tf.keras.utils.set_random_seed(SEED)
    model = assignment.CNN(2)
    losses = assignment.train(model, inputs, labels)
    assert len(losses) == math.ceil(40 / assignment.BATCH_SIZE)
    assert any(variable.shape == (3, 3, 3, 16) for variable in model.trainable_variables)
    tf_logits = model.call(inputs).numpy()
    assert tf_logits.shape == (40, 2)
    np.testing.assert_allclose(model.call(inputs, is_testing=True).numpy(), tf_logits, rtol=1e-4, atol=1e-4)
    assert 0.0 <= assignment.test(model, inputs, labels) <= 1.0


def test_main_trains_and_prints_both_accuracies(monkeypatch, capsys):
    monkeypatch.setattr(assignment, "NUM_EPOCHS", 1)
    assignment.main()
    printed = capsys.readouterr().out
    assert "epoch 1/1" in printed
    accuracies = [float(line.rsplit(":", 1)[1]) for line in printed.splitlines() if "test accuracy" in line]
    assert len(accuracies) == 2
    assert all(0.5 < accuracy <= 1.0 for accuracy in accuracies)
