"""Style: a Keras layer with build() and add_weight() that keeps the filters, and TensorFlow helpers in call()
(tf.shape, tf.pad, tf.tensordot); conv2d assigns the filters and calls the layer. Strides [1, s_h, s_w, 1]. Correct."""
import numpy as np
import tensorflow as tf


def conv_output_size(in_size, filter_size, stride=1, padding="VALID"):
    if padding == "SAME":
        return -(-in_size // stride)
    if padding == "VALID":
        return max(0, (in_size - filter_size) // stride + 1)
    return max(0, (in_size + 2 * padding - filter_size) // stride + 1)


class HandConv(tf.keras.layers.Layer):
    def __init__(self, kernel_shape, strides, padding, **kwargs):
        super().__init__(**kwargs)
        self.kernel_shape = kernel_shape
        self.strides = strides
        self.padding = padding

    def build(self, input_shape):
        self.kernel = self.add_weight(name="kernel", shape=self.kernel_shape, initializer="zeros")

    def call(self, x):
        kh, kw, _, kout = self.kernel_shape
        sh, sw = self.strides[1], self.strides[2]
        height, width = int(tf.shape(x)[1]), int(tf.shape(x)[2])
        if self.padding == "SAME":
            ph = max((-(-height // sh) - 1) * sh + kh - height, 0)
            pw = max((-(-width // sw) - 1) * sw + kw - width, 0)
            x = tf.pad(x, [[0, 0], [ph // 2, ph - ph // 2], [pw // 2, pw - pw // 2], [0, 0]])
        elif self.padding != "VALID":
            x = tf.pad(x, self.padding)
        oh = (int(tf.shape(x)[1]) - kh) // sh + 1
        ow = (int(tf.shape(x)[2]) - kw) // sw + 1
        out = np.zeros((int(tf.shape(x)[0]), max(oh, 0), max(ow, 0), kout), np.float32)
        for i in range(max(oh, 0)):
            for j in range(max(ow, 0)):
                window = x[:, i * sh:i * sh + kh, j * sw:j * sw + kw, :]
                out[:, i, j, :] = tf.tensordot(window, self.kernel, axes=[[1, 2, 3], [0, 1, 2]]).numpy()
        return out


def conv2d(inputs, filters, strides, padding):
    layer = HandConv(filters.shape, strides, padding)
    layer.build(inputs.shape)
    layer.built = True
    layer.kernel.assign(np.asarray(filters, np.float32))
    return layer(tf.convert_to_tensor(inputs, dtype=tf.float32))
