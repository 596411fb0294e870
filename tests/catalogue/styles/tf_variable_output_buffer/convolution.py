"""Style: the output buffer is a tf.Variable of tf.zeros, filled slice by slice with .assign(), and returned with
.numpy(). Strides as [1, s_h, s_w, 1]. Correct."""
import numpy as np
import tensorflow as tf


def conv_output_size(in_size, filter_size, stride=1, padding="VALID"):
    if padding == "SAME":
        return -(-in_size // stride)
    if padding == "VALID":
        return max(0, (in_size - filter_size) // stride + 1)
    return max(0, (in_size + 2 * padding - filter_size) // stride + 1)


def conv2d(inputs, filters, strides, padding):
    inputs = np.asarray(inputs, np.float32)
    filters = np.asarray(filters, np.float32)
    batch, height, width, _ = inputs.shape
    fh, fw, _, out_channels = filters.shape
    sh, sw = strides[1], strides[2]
    if padding == "SAME":
        ph = max((conv_output_size(height, fh, sh, "SAME") - 1) * sh + fh - height, 0)
        pw = max((conv_output_size(width, fw, sw, "SAME") - 1) * sw + fw - width, 0)
        inputs = np.pad(inputs, [[0, 0], [ph // 2, ph - ph // 2], [pw // 2, pw - pw // 2], [0, 0]])
    elif padding != "VALID":
        inputs = np.pad(inputs, padding)
    out_h = max((inputs.shape[1] - fh) // sh + 1, 0)
    out_w = max((inputs.shape[2] - fw) // sw + 1, 0)
    output = tf.Variable(tf.zeros([batch, out_h, out_w, out_channels], dtype=tf.float32))
    for i in range(out_h):
        for j in range(out_w):
            patch = inputs[:, i * sh:i * sh + fh, j * sw:j * sw + fw, :]
            output[:, i, j, :].assign(np.tensordot(patch, filters, axes=3))
    return output.numpy()
