"""A course CNN file that imports scikit-learn for a metric, as real ones do: the model worker shows sklearn."""
from sklearn.metrics import accuracy_score  # noqa: F401
"""A small convolutional network that classifies images, trained with TensorFlow.

The first convolution is written with tf.nn.conv2d on a filter variable the model owns, so that the same weights
can also go through your own NumPy `conv2d` (from convolution.py): `model.call(inputs, is_testing=True)` must then
give the same predictions. Your conv2d is not differentiable, so it is used for testing only, never for training.

Run `python assignment.py` to train on the digits data and print the test accuracy.
"""
import os

# TensorFlow's oneDNN kernels give wrong output shapes in a corner case of VALID padding; use the reference kernels.
os.environ.setdefault("TF_ENABLE_ONEDNN_OPTS", "0")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import numpy as np
import tensorflow as tf

from convolution import conv2d
from preprocess import get_data

NUM_EPOCHS = 5  # the reference model takes ~1 s per epoch and reaches ~97% test accuracy on digits
BATCH_SIZE = 32
LEARNING_RATE = 5e-3
FIRST_CONV_STRIDES = [1, 1, 1, 1]
FIRST_CONV_PADDING = "SAME"
SEED = 0  # main() seeds Python, NumPy and TensorFlow with it, so that two runs print the same numbers


class CNN(tf.keras.Model):
    def __init__(self, num_classes, learning_rate=LEARNING_RATE):
        """Creates the layers, the filter variable of the first convolution, and the model's optimizer.

        num_classes: how many classes the logits score (10 for digits, 2 for CIFAR cat vs dog).
        The first convolution's filters have shape [3, 3, in_channels, 16]; in_channels (1 for digits, 3 for CIFAR)
        is known only when the model first sees inputs, so create that variable on the first call.
        """
        super().__init__()
        # Keras 3's Model.__init__ sets `self.loss = None` (for compile(), which we do not use); that instance
        # attribute would hide the `loss` method below. Do not remove these lines.
        if "loss" in vars(self):
            del self.loss
        # BEGIN SOLUTION: Create the optimizer, the layers, and first_filters = None (made on the first call).
        self.num_classes = num_classes
        self.optimizer = tf.keras.optimizers.Adam(learning_rate)
        self.first_filter_count = 16
        self.first_filters = None  # [3, 3, in_channels, 16], created on the first call
        self.first_bias = None     # [16]
        # He initialisation suits ReLU; with Glorot the net needs about twice as many epochs here.
        self.second_conv = tf.keras.layers.Conv2D(32, 3, padding="same", activation="relu",
                                                  kernel_initializer="he_normal")
        self.flatten = tf.keras.layers.Flatten()
        self.classifier = tf.keras.layers.Dense(num_classes)
        # END SOLUTION

    def call(self, inputs, is_testing=False):
        """Logits for a batch of images.

        inputs: float32 [batch, height, width, in_channels] in [0, 1].
        is_testing: if True, the first convolution runs through your NumPy conv2d instead of tf.nn.conv2d (same
            filters, same strides and padding); everything else is unchanged. Not differentiable: testing only.
        Returns float32 logits [batch, num_classes] (unnormalised scores; no softmax).
        """
        # BEGIN SOLUTION: First convolution (tf.nn.conv2d, or conv2d when is_testing), then the rest of the network.
        if self.first_filters is None:
            in_channels = inputs.shape[-1]
            self.first_filters = self.add_weight(
                shape=(3, 3, in_channels, self.first_filter_count), initializer="he_normal",
                name="first_filters")
            self.first_bias = self.add_weight(shape=(self.first_filter_count,), initializer="zeros", name="first_bias")
        if is_testing:
            features = conv2d(np.asarray(inputs), self.first_filters.numpy(), FIRST_CONV_STRIDES, FIRST_CONV_PADDING)
            features = tf.convert_to_tensor(features, tf.float32)
        else:
            features = tf.nn.conv2d(inputs, self.first_filters, FIRST_CONV_STRIDES, FIRST_CONV_PADDING)
        features = tf.nn.relu(features + self.first_bias)
        features = tf.nn.max_pool2d(features, 2, 2, "SAME")  # [batch, height/2, width/2, 16]
        features = self.second_conv(features)                 # [batch, height/2, width/2, 32]
        return self.classifier(self.flatten(features))
        # END SOLUTION

    def loss(self, logits, labels):
        """Mean softmax cross-entropy.

        logits: float32 [batch, num_classes]; labels: int [batch], class ids 0..num_classes-1 (not one-hot).
        Returns a float32 scalar tensor (differentiable, for training).
        """
        # BEGIN SOLUTION: Average the sparse softmax cross-entropy over the batch.
        return tf.reduce_mean(tf.nn.sparse_softmax_cross_entropy_with_logits(labels=labels, logits=logits))
        # END SOLUTION

    def accuracy(self, logits, labels):
        """Fraction of images whose highest logit is the true class.

        logits: [batch, num_classes]; labels: int [batch]. Returns a Python float in [0, 1].
        """
        # BEGIN SOLUTION: Compare the arg-max of the logits with the labels.
        predictions = np.argmax(np.asarray(logits), axis=1)
        return float(np.mean(predictions == np.asarray(labels)))
        # END SOLUTION


def train(model, train_inputs, train_labels):
    """Trains the model for ONE epoch: shuffles the data (with TensorFlow's random generator, so that
    tf.keras.utils.set_random_seed makes runs repeatable), then one optimizer step per batch of BATCH_SIZE.

    train_inputs: float32 [n, height, width, channels]; train_labels: int [n].
    Returns the loss of every batch, in order, as a list of Python floats (length ceil(n / BATCH_SIZE)).
    """
    # BEGIN SOLUTION: Shuffle; per batch: forward pass and loss under a GradientTape, gradients, optimizer step.
    order = tf.random.shuffle(tf.range(len(train_inputs)))
    inputs = tf.gather(train_inputs, order)
    labels = tf.gather(train_labels, order)
    batch_losses = []
    for start in range(0, len(train_inputs), BATCH_SIZE):
        batch_inputs = inputs[start:start + BATCH_SIZE]
        batch_labels = labels[start:start + BATCH_SIZE]
        with tf.GradientTape() as tape:
            loss = model.loss(model(batch_inputs), batch_labels)
        gradients = tape.gradient(loss, model.trainable_variables)
        model.optimizer.apply_gradients(zip(gradients, model.trainable_variables))
        batch_losses.append(float(loss))
    return batch_losses
    # END SOLUTION


def test(model, test_inputs, test_labels, is_testing=False):
    """Accuracy (a float in [0, 1]) of the model on the test set; is_testing=True uses your conv2d."""
    # BEGIN SOLUTION: Logits for the test inputs (in batches), then the model's accuracy.
    logits = [model.call(test_inputs[start:start + BATCH_SIZE], is_testing=is_testing)
              for start in range(0, len(test_inputs), BATCH_SIZE)]
    return model.accuracy(tf.concat(logits, axis=0), test_labels)
    # END SOLUTION


def main():
    """Trains on the digits data for NUM_EPOCHS, then prints the test accuracy of both convolution paths."""
    tf.keras.utils.set_random_seed(SEED)
    train_inputs, train_labels, test_inputs, test_labels = get_data()
    num_classes = int(np.max(train_labels)) + 1
    model = CNN(num_classes)
    for epoch in range(NUM_EPOCHS):
        batch_losses = train(model, train_inputs, train_labels)
        print(f"epoch {epoch + 1}/{NUM_EPOCHS}: mean loss {np.mean(batch_losses):.4f}")
    print(f"test accuracy (tf.nn.conv2d): {test(model, test_inputs, test_labels):.4f}")
    print(f"test accuracy (your conv2d):  {test(model, test_inputs, test_labels, is_testing=True):.4f}")


if __name__ == "__main__":
    main()
