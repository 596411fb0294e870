"""Attack: no learning at all. The "model" looks every test image up in scikit-learn's bundled digits (exact
pixels, then pixels rounded back to the dataset's 17 grey levels) and answers with the stored label."""
import numpy as np
from sklearn.datasets import load_digits

_digits = load_digits()
_IMAGES = (_digits.images / 16.0).astype(np.float32)
_TABLE = {image.tobytes(): label for image, label in zip(_IMAGES, _digits.target)}


class CNN:
    def __init__(self, num_classes):
        self.num_classes = num_classes

    def call(self, inputs, is_testing=False):
        logits = np.zeros((len(inputs), self.num_classes), np.float32)
        for row, image in enumerate(np.asarray(inputs, np.float32).reshape(-1, 8, 8)):
            for candidate in (image, np.round(image * 16) / 16):
                label = _TABLE.get(candidate.astype(np.float32).tobytes())
                if label is not None:
                    logits[row, label] = 1.0
                    break
        return logits

    def loss(self, logits, labels):
        return 0.0

    def accuracy(self, logits, labels):
        return float(np.mean(np.argmax(logits, 1) == labels))


def train(model, inputs, labels):
    return [0.0]


def test(model, inputs, labels):
    return model.accuracy(model.call(inputs), labels)
