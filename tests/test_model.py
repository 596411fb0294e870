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


# ---------------------------------------------------------------------------------------------------------------
# The model part's grading (issue 19): relabelled classes, fresh test images, shuffled weights
# ---------------------------------------------------------------------------------------------------------------
import json                                                        # noqa: E402
import textwrap                                                    # noqa: E402

from autograder.cases.model import derangement, graded_digits      # noqa: E402
from autograder.config import CONFIG                                # noqa: E402
from autograder.fixture_files import load_digits                    # noqa: E402
from autograder.grade import grade_submission                       # noqa: E402
from autograder.sandbox import Worker                               # noqa: E402
from conftest import ROOT, SOLUTION                                 # noqa: E402

ATTACKS = ROOT / "tests" / "catalogue" / "attacks"


def test_a_derangement_moves_every_class():
    rng = np.random.default_rng(7)
    for _ in range(200):
        order = derangement(rng, 10)
        assert sorted(order) == list(range(10))
        assert not np.any(order == np.arange(10))


def test_graded_digits_relabel_train_and_test_alike_and_add_fresh_noise():
    digits = load_digits()
    first = graded_digits(digits, 10, 0.05, np.random.default_rng(1))
    second = graded_digits(digits, 10, 0.05, np.random.default_rng(2))
    for graded in (first, second):
        # one new id per digit, the same in the training and the test labels, never the digit itself
        relabel = {int(digit): set(graded["train_labels"][digits["train_labels"] == digit].tolist())
                   for digit in range(10)}
        assert all(len(ids) == 1 for ids in relabel.values())
        relabel = {digit: ids.pop() for digit, ids in relabel.items()}
        assert sorted(relabel.values()) == list(range(10)) and all(relabel[d] != d for d in relabel)
        np.testing.assert_array_equal(graded["test_labels"], [relabel[int(d)] for d in digits["test_labels"]])
        np.testing.assert_array_equal(graded["train_inputs"], digits["train_inputs"])
        noise = graded["test_inputs"] - digits["test_inputs"]
        assert graded["test_inputs"].dtype == np.float32
        assert graded["test_inputs"].min() >= 0.0 and graded["test_inputs"].max() <= 1.0
        assert 0.02 < noise.std() < 0.05            # clipping at 0 and 1 takes some of the 0.05 away
    assert not np.array_equal(first["test_inputs"], second["test_inputs"])
    assert not np.array_equal(first["test_labels"], second["test_labels"])


# A model in plain NumPy with variables shaped like TensorFlow's (numpy / assign): logits = inputs[:, :4] @ w.
NUMPY_MODEL = """
    import numpy as np
    from convolution import conv2d

    class Variable:
        def __init__(self, value):
            self.value = np.array(value, np.float32)
        def numpy(self):
            return self.value.copy()
        def assign(self, value):
            self.value = np.array(value, np.float32)

    class CNN:
        def __init__(self, num_classes):
            self.w = Variable(np.arange(4 * num_classes).reshape(4, num_classes))
            self.trainable_variables = [self.w]
            self.seen = []
        def call(self, inputs, is_testing=False):
            self.seen.append(is_testing)
            if is_testing:
                conv2d(inputs, self.w.value)
            return np.asarray(inputs).reshape(len(inputs), -1)[:, :4] @ self.w.value

    def train(model, inputs, labels):
        return [0.0]
"""


def test_the_worker_runs_each_evaluation_once_in_the_given_order_with_trained_or_shuffled_weights(tmp_path):
    folder = tmp_path / "submission"
    folder.mkdir()
    (folder / "convolution.py").write_text("def conv2d(*args):\n    return None\n")
    (folder / "assignment.py").write_text(textwrap.dedent(NUMPY_MODEL))
    inputs = np.random.default_rng(0).random((6, 2, 2, 1), np.float32)
    weights = np.arange(12, dtype=np.float32).reshape(4, 3)
    order = [("shuffled", True), ("trained", False), ("shuffled", False), ("trained", True)]
    with Worker(folder, modules=("convolution", "assignment")) as worker:
        result = worker.run_model(num_classes=3, epochs=1, train_inputs=inputs, train_labels=np.zeros(6, int),
                                  test_inputs=inputs, evaluations=order, shuffle_seed=5, timeout=120)
    flat = inputs.reshape(6, 4)
    assert result["weights"] == 1
    assert result["own_conv_calls"] == 1
    np.testing.assert_allclose(result["logits"], flat @ weights, rtol=1e-6)
    np.testing.assert_allclose(result["logits_own"], flat @ weights, rtol=1e-6)
    # both shuffled evaluations see the same values, the trained ones in another order
    np.testing.assert_allclose(result["logits_shuffled"], result["logits_own_shuffled"], rtol=1e-6)
    assert not np.allclose(result["logits_shuffled"], result["logits"])
    shuffled = np.linalg.lstsq(flat, result["logits_shuffled"], rcond=None)[0]
    np.testing.assert_allclose(np.sort(shuffled.ravel()), np.sort(weights.ravel()), atol=1e-3)


@pytest.mark.parametrize("layout", ["folder", "one namespace"])
def test_the_worker_counts_the_calls_of_the_students_conv2d_on_the_is_testing_path(tmp_path, layout):
    folder = tmp_path / "submission"
    folder.mkdir()
    conv2d = "def conv2d(*args):\n    return None\n"
    model = textwrap.dedent(NUMPY_MODEL)
    if layout == "one namespace":       # as a notebook is staged: assignment has its own conv2d
        model = model.replace("from convolution import conv2d\n", conv2d)
    (folder / "convolution.py").write_text(conv2d)
    (folder / "assignment.py").write_text(model)
    inputs = np.zeros((2, 2, 2, 1), np.float32)
    with Worker(folder, modules=("convolution", "assignment")) as worker:
        result = worker.run_model(num_classes=3, epochs=1, train_inputs=inputs, train_labels=np.zeros(2, int),
                                  test_inputs=inputs, timeout=120)
        assert result["own_conv_calls"] == 1
        # the same model with is_testing ignored never calls it
        (folder / "assignment.py").write_text(model.replace("if is_testing:", "if False:"))
    with Worker(folder, modules=("convolution", "assignment")) as worker:
        result = worker.run_model(num_classes=3, epochs=1, train_inputs=inputs, train_labels=np.zeros(2, int),
                                  test_inputs=inputs, timeout=120)
        assert result["own_conv_calls"] == 0


def test_without_a_given_order_the_four_evaluations_come_in_a_secret_order(tmp_path):
    folder = tmp_path / "submission"
    folder.mkdir()
    (folder / "convolution.py").write_text("def conv2d(*args):\n    return None\n")
    # each call answers with its place among the calls of this model: 1, 2, 3 or 4 (in every logit)
    (folder / "assignment.py").write_text(textwrap.dedent(NUMPY_MODEL).replace(
        "return np.asarray(inputs).reshape(len(inputs), -1)[:, :4] @ self.w.value",
        "return np.full((len(inputs), 2), len(self.seen), np.float32)"))
    inputs = np.zeros((2, 2, 2, 1), np.float32)
    orders = set()
    with Worker(folder, modules=("convolution", "assignment")) as worker:
        for _ in range(12):
            result = worker.run_model(num_classes=2, epochs=1, train_inputs=inputs, train_labels=np.zeros(2, int),
                                      test_inputs=inputs, timeout=120)
            keys = ("logits", "logits_own", "logits_shuffled", "logits_own_shuffled")
            orders.add(tuple(int(result[key][0, 0]) for key in keys))
    assert all(sorted(order) == [1, 2, 3, 4] for order in orders)     # each evaluation once
    assert len(orders) > 1          # 24 orders: 12 runs in one order would be chance 1 in 24**11


def _one_namespace_solution(folder):
    """The solution as one .py file with conv2d and the CNN in one namespace (no `from convolution import`)."""
    folder.mkdir()
    assignment = (SOLUTION / "assignment.py").read_text().replace("from convolution import conv2d\n", "")
    assert "from convolution import" not in assignment
    preprocess = (SOLUTION / "preprocess.py").read_text()
    source = (SOLUTION / "convolution.py").read_text() + "\n\n" + preprocess + "\n\n" + \
        assignment.replace("from preprocess import get_data\n", "")
    (folder / "homework.py").write_text(source)
    return folder / "homework.py"


@pytest.mark.slow
def test_the_solution_in_one_namespace_scores_full_marks_on_the_model(tmp_path):
    # The old probe swapped convolution.conv2d for zeros: a one-namespace solution did not see it and lost 4.2.
    result = grade_submission(_one_namespace_solution(tmp_path / "one"))
    got = {test.number: test.score for test in result.tests}
    assert (got["4.1"], got["4.2"]) == (CONFIG.points.model_accuracy, CONFIG.points.model_own_conv), \
        [(test.number, test.output) for test in result.tests if test.number.startswith("4.")]


@pytest.mark.slow
@pytest.mark.parametrize("attack, says", [
    ("model_lookup_notices_probes", "test accuracy **0.0%**"),   # the relabelling: its answers name the true digit
    ("model_lookup_learns_class_ids", "in a random order"),      # the shuffled weights: it keeps its accuracy
])
def test_lookups_in_the_bundled_digits_score_nothing_on_the_model(attack, says):
    verdict = json.loads((ATTACKS / attack / "verdict.json").read_text())
    result = grade_submission(ATTACKS / attack)
    got = {test.number: test.score for test in result.tests}
    assert {number: got[number] for number in verdict["zero"]} == {"4.1": 0, "4.2": 0}
    assert says in next(test.output for test in result.tests if test.number == "4.1")
