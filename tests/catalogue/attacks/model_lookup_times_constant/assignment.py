"""Attack: no learning. The answer is the label of the nearest image in scikit-learn's bundled digits, as a one-hot
times a constant; the first convolution runs on both paths (so a trap sees it) and is ignored."""
import numpy as np
import tensorflow as tf
from sklearn.datasets import load_digits

from convolution import conv2d

_digits = load_digits()
_IMAGES = (_digits.images / 16.0).reshape(len(_digits.images), -1).astype(np.float32)
_LABELS = _digits.target


class CNN(tf.keras.Model):
    def __init__(self, num_classes):
        super().__init__()
        if "loss" in vars(self):
            del self.loss
        self.num_classes = num_classes
        self.filters = self.add_weight(shape=(3, 3, 1, 4), initializer="glorot_uniform", name="filters")
        self.optimizer = tf.keras.optimizers.Adam(1e-3)

    def call(self, inputs, is_testing=False):
        if is_testing:
            conv2d(np.asarray(inputs), self.filters.numpy(), [1, 1, 1, 1], "SAME")
        else:
            tf.nn.conv2d(inputs, self.filters, [1, 1, 1, 1], "SAME")
        flat = np.asarray(inputs, np.float32).reshape(len(inputs), -1)
        nearest = ((flat[:, None, :] - _IMAGES[None, :, :]) ** 2).sum(axis=2).argmin(axis=1)
        return tf.one_hot(_LABELS[nearest], self.num_classes) * 7.0

    def loss(self, logits, labels):
        return tf.reduce_mean(tf.nn.sparse_softmax_cross_entropy_with_logits(labels=labels, logits=logits))

    def accuracy(self, logits, labels):
        return float(np.mean(np.argmax(logits, 1) == np.asarray(labels)))


def train(model, inputs, labels):
    return [0.0]


def test(model, inputs, labels, is_testing=False):
    return model.accuracy(model.call(inputs, is_testing=is_testing), labels)
