"""Part 4: the student's CNN, trained in the worker on the embedded digits set.

The worker never receives the test labels: it returns logits, and the grader computes the accuracy itself.
"""
import numpy as np
from gradescope_utils.autograder_utils.decorators import number

from autograder.cases import GradedCase, scored
from autograder.gradescope import leaderboard


def accuracy_fraction(accuracy, check):
    """Full points at or above full_credit_accuracy, none at or below zero_credit_accuracy, linear in between."""
    span = check.full_credit_accuracy - check.zero_credit_accuracy
    return float(np.clip((accuracy - check.zero_credit_accuracy) / span, 0.0, 1.0))


# A model's predictions come from its convolution when replacing that convolution's output by zeros changes at
# least this fraction of them (a trained CNN changes ~90%; a model that looks its answers up changes none).
DEPENDENCE_FRACTION = 0.10
NO_DEPENDENCE = ("Your model's predictions do not change when its first convolution's output is replaced by zeros "
                 "({path}): they do not come from the convolution, so they are not scored. A model must learn its "
                 "answers; looking them up (for example in scikit-learn's bundled digits) scores 0.")


class Model(GradedCase):

    def assert_depends_on_convolution(self, key, zeroed_key, path):
        """The predictions under `key` change when the first convolution gives zeros (`zeroed_key`)."""
        zeroed = self.session.model_result().get(zeroed_key)
        if zeroed is None:
            return                  # the model could not run without its convolution: it depends on it
        predicted = self.predictions(key)
        changed = float(np.mean(np.asarray(zeroed).reshape(len(predicted), -1).argmax(axis=1) != predicted)) \
            if np.size(zeroed) == predicted.size * self.session.num_classes else 1.0
        self.assertGreaterEqual(changed, DEPENDENCE_FRACTION, NO_DEPENDENCE.format(path=path))

    def predictions(self, key):
        """Predicted classes from the trained model's logits under `key` ("logits" or "logits_own")."""
        result = self.session.model_result()
        logits = result[key]
        labels = self.session.digits()["test_labels"]
        shape = (len(labels), self.session.num_classes)
        self.assertTrue(isinstance(logits, np.ndarray) and logits.shape == shape,
                        f"`model.call(test_inputs)` must return logits of shape {shape}; got "
                        f"{getattr(logits, 'shape', type(logits).__name__)}.")
        self.assertTrue(np.isfinite(logits).all(), "The model's logits contain NaN or infinity.")
        return logits.argmax(axis=1)

    @scored("model_accuracy")
    @number("4.1")
    def test_accuracy(self, set_score=None):
        """CNN: test accuracy on the digits set"""
        check = self.config.model
        predicted = self.predictions("logits")
        self.assert_depends_on_convolution("logits", "logits_without_conv", "tf.nn.conv2d")
        accuracy = float(np.mean(predicted == self.session.digits()["test_labels"]))
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
        accuracy = float(np.mean(self.predictions("logits") == self.session.digits()["test_labels"]))
        self.assertGreater(accuracy, self.config.model.zero_credit_accuracy,
                           f"Your model's test accuracy ({accuracy:.1%}) is too low for the agreement of its two "
                           "paths to show anything; train the model first (part 4.1).")
        self.assert_depends_on_convolution("logits_own", "logits_own_without_conv", "your conv2d, is_testing=True")
        agreement = float(np.mean(self.predictions("logits_own") == self.predictions("logits")))
        self.assertGreaterEqual(
            agreement, self.config.model.own_conv_agreement,
            f"With is_testing=True your model predicts the same class as with tf.nn.conv2d on only "
            f"{agreement:.1%} of the test images. The first convolution must use your conv2d with the same "
            "filters, strides and padding as the tf.nn.conv2d path.")
        self.say(f"Predictions agree on {agreement:.1%} of the test images.")
