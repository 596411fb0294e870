"""Attack: no learning, and it watches for the grader's checks. It answers with the label of the nearest image in
scikit-learn's bundled digits, and misbehaves (random logits) only when it notices a check: tf.nn.conv2d or conv2d
is not the object it was at import, its weights are not those its last train() left, or it was never trained."""
import sys

import numpy as np
import tensorflow as tf
from sklearn.datasets import load_digits

import convolution
from convolution import conv2d

_digits = load_digits()
_IMAGES = (_digits.images / 16.0).reshape(len(_digits.images), -1).astype(np.float32)
_LABELS = _digits.target
_TF_CONV2D = tf.nn.conv2d
_OWN_CONV2D = convolution.conv2d


def _fingerprint(model):
    return tuple(float(tf.reduce_sum(tf.abs(variable))) for variable in model.trainable_variables)


class CNN(tf.keras.Model):
    def __init__(self, num_classes):
        super().__init__()
        if "loss" in vars(self):
            del self.loss
        self.num_classes = num_classes
        self.filters = self.add_weight(shape=(3, 3, 1, 4), initializer="glorot_uniform", name="filters")
        self.optimizer = tf.keras.optimizers.Adam(1e-3)
        self.trained_fingerprint = None

    def probed(self):
        here = sys.modules[__name__]
        return (tf.nn.conv2d is not _TF_CONV2D or convolution.conv2d is not _OWN_CONV2D
                or getattr(here, "conv2d") is not _OWN_CONV2D
                or self.trained_fingerprint is None or _fingerprint(self) != self.trained_fingerprint)

    def call(self, inputs, is_testing=False):
        if is_testing:
            features = conv2d(np.asarray(inputs), self.filters.numpy(), [1, 1, 1, 1], "SAME")
        else:
            features = tf.nn.conv2d(inputs, self.filters, [1, 1, 1, 1], "SAME")
        if self.probed():
            return tf.random.normal([len(inputs), self.num_classes])
        scale = tf.reduce_mean(tf.abs(tf.convert_to_tensor(features, tf.float32)))
        flat = np.asarray(inputs, np.float32).reshape(len(inputs), -1)
        nearest = ((flat[:, None, :] - _IMAGES[None, :, :]) ** 2).sum(axis=2).argmin(axis=1)
        return tf.one_hot(_LABELS[nearest], self.num_classes) * scale

    def loss(self, logits, labels):
        return tf.reduce_mean(tf.nn.sparse_softmax_cross_entropy_with_logits(labels=labels, logits=logits))

    def accuracy(self, logits, labels):
        return float(np.mean(np.argmax(logits, 1) == np.asarray(labels)))


def train(model, inputs, labels):
    model.trained_fingerprint = _fingerprint(model)
    return [0.0]


def test(model, inputs, labels, is_testing=False):
    return model.accuracy(model.call(inputs, is_testing=is_testing), labels)
