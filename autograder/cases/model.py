"""Part 4: the student's CNN, trained in the worker on the embedded digits set.

The worker never receives the test labels: it returns logits, and the grader computes the accuracy itself. Three
layers make the accuracy the model's own (README, "The model part"): each grading teaches the digits under secretly
permuted class ids and shows freshly noised test images (graded_digits), and the trained weights must matter (every
trainable variable's values shuffled must take the accuracy away), checked through ordinary calls in a secret order.
"""
import numpy as np
from gradescope_utils.autograder_utils.decorators import number

from autograder.cases import GradedCase, scored
from autograder.gradescope import leaderboard


def accuracy_fraction(accuracy, check):
    """Full points at or above full_credit_accuracy, none at or below zero_credit_accuracy, linear in between."""
    span = check.full_credit_accuracy - check.zero_credit_accuracy
    return float(np.clip((accuracy - check.zero_credit_accuracy) / span, 0.0, 1.0))


def derangement(rng, size):
    """A permutation of range(size) that moves every element: int array [size]."""
    while True:                 # about e draws on average
        order = rng.permutation(size)
        if size < 2 or not np.any(order == np.arange(size)):
            return order


def graded_digits(digits, num_classes, noise, rng):
    """The digits as one grading shows them to the student's model.

    digits: {train_inputs float32 [n, H, W, C], train_labels int [n], test_inputs float32 [m, H, W, C] in [0, 1],
    test_labels int [m]}. Returns the same keys: every class id c replaced by relabel[c], relabel a permutation
    that moves every class (a learner learns the ids it is taught; an answer from anywhere else names the true
    digit, which is then never right), and the test images plus Gaussian noise of standard deviation `noise`,
    clipped to [0, 1]. rng must be secret (seeded from the operating system), fresh for each grading.
    """
    relabel = derangement(rng, num_classes)
    test_inputs = np.asarray(digits["test_inputs"], np.float32)
    noisy = np.clip(test_inputs + rng.normal(0.0, noise, test_inputs.shape), 0.0, 1.0).astype(np.float32)
    return {"train_inputs": digits["train_inputs"], "train_labels": relabel[np.asarray(digits["train_labels"])],
            "test_inputs": noisy, "test_labels": relabel[np.asarray(digits["test_labels"])]}


NO_WEIGHTS = ("Your model has no trainable variables (`model.trainable_variables` is empty), so its predictions "
              "cannot come from training it; they are not scored.")
WEIGHTS_IGNORED = ("With its trained weights replaced by the same values in a random order, your model still "
                   "classifies {accuracy:.1%} of the test images ({path}), so its predictions do not come from what "
                   "training produced; they are not scored. A CNN's accuracy falls to about chance (10%) then.")


class Model(GradedCase):

    def labels(self):
        """The test labels of this grading (relabelled, see graded_digits): int [n_test]."""
        return self.session.model_result()["test_labels"]

    def predictions(self, key):
        """Predicted classes from the model's logits under `key` ("logits", "logits_own", ..._shuffled)."""
        logits = self.session.model_result()[key]
        shape = (len(self.labels()), self.session.num_classes)
        self.assertTrue(isinstance(logits, np.ndarray) and logits.shape == shape,
                        f"`model.call(test_inputs)` must return logits of shape {shape}; got "
                        f"{getattr(logits, 'shape', type(logits).__name__)}.")
        self.assertTrue(np.isfinite(logits).all(), "The model's logits contain NaN or infinity.")
        return logits.argmax(axis=1)

    def assert_needs_trained_weights(self, shuffled_key, path):
        """The accuracy with every trainable variable's values shuffled (`shuffled_key`) is at most
        model.shuffled_weights_max_accuracy: the predictions come from what training produced."""
        result = self.session.model_result()
        self.assertTrue(result.get("weights"), NO_WEIGHTS)
        shuffled = result.get(shuffled_key)
        if shuffled is None:
            return                  # the model could not run with other weights: it depends on them
        labels = self.labels()
        if not (isinstance(shuffled, np.ndarray) and shuffled.shape == (len(labels), self.session.num_classes)):
            return                  # other weights changed even the shape of its answer
        accuracy = float(np.mean(np.nan_to_num(shuffled).argmax(axis=1) == labels))
        self.assertLessEqual(accuracy, self.config.model.shuffled_weights_max_accuracy,
                             WEIGHTS_IGNORED.format(accuracy=accuracy, path=path))

    @scored("model_accuracy")
    @number("4.1")
    def test_accuracy(self, set_score=None):
        """CNN: test accuracy on the digits set"""
        check = self.config.model
        predicted = self.predictions("logits")
        self.assert_needs_trained_weights("logits_shuffled", "tf.nn.conv2d, is_testing=False")
        accuracy = float(np.mean(predicted == self.labels()))
        leaderboard.record(leaderboard.ACCURACY, accuracy)
        set_score(self.config.points.model_accuracy * accuracy_fraction(accuracy, check))
        losses = self.session.model_result()["losses"]
        self.say(f"After {check.epochs} calls of `train`, test accuracy **{accuracy:.1%}** (full points from "
                 f"{check.full_credit_accuracy:.0%}, none at {check.zero_credit_accuracy:.0%} or below). "
                 f"Loss went from {losses[0]:.3f} to {losses[-1]:.3f} over {len(losses)} batches."
                 if losses else f"Test accuracy **{accuracy:.1%}**; `train` returned no losses.")

    @scored("model_own_conv", partial=False)
    @number("4.2")
    def test_own_conv(self):
        """CNN: is_testing=True (your conv2d) agrees with tf.nn.conv2d"""
        self.assert_no_library_convolution()
        result = self.session.model_result()
        self.assertFalse(result.get("own_error"),
                         f"`model.call(test_inputs, is_testing=True)` failed: {result.get('own_error')}")
        # Agreement means something only for a model that classifies: a constant (or lookup) model agrees with itself.
        accuracy = float(np.mean(self.predictions("logits") == self.labels()))
        self.assertGreater(accuracy, self.config.model.zero_credit_accuracy,
                           f"Your model's test accuracy ({accuracy:.1%}) is too low for the agreement of its two "
                           "paths to show anything; train the model first (part 4.1).")
        self.assertTrue(result.get("own_conv_calls"),
                        "With is_testing=True your model did not call your `conv2d`: on that path its first "
                        "convolution must use your conv2d (from convolution.py) instead of tf.nn.conv2d.")
        self.assert_needs_trained_weights("logits_own_shuffled", "your conv2d, is_testing=True")
        agreement = float(np.mean(self.predictions("logits_own") == self.predictions("logits")))
        self.assertGreaterEqual(
            agreement, self.config.model.own_conv_agreement,
            f"With is_testing=True your model predicts the same class as with tf.nn.conv2d on only "
            f"{agreement:.1%} of the test images. The first convolution must use your conv2d with the same "
            "filters, strides and padding as the tf.nn.conv2d path.")
        self.say(f"Predictions agree on {agreement:.1%} of the test images.")
