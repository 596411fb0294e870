"""Style: TensorFlow helpers throughout - tf.pad for the padding, tf.multiply and tf.reduce_sum for each window, over
the whole batch and every output channel at once. Strides as [1, s_h, s_w, 1]. Correct."""
import tensorflow as tf


def conv_output_size(in_size, filter_size, stride=1, padding="VALID"):
    if padding == "SAME":
        return -(-in_size // stride)
    if padding == "VALID":
        return max((in_size - filter_size) // stride + 1, 0)
    return max(0, (in_size + 2 * padding - filter_size) // stride + 1)


def conv2d(inputs, filters, strides, padding):
    inputs = tf.cast(inputs, tf.float32)
    filters = tf.cast(filters, tf.float32)
    num_examples, in_height, in_width, in_channels = inputs.shape
    filter_height, filter_width, filter_in_channels, filter_out_channels = filters.shape
    stride_y, stride_x = strides[1], strides[2]
    if padding == "SAME":
        pad_y = max((conv_output_size(in_height, filter_height, stride_y, "SAME") - 1) * stride_y
                    + filter_height - in_height, 0)
        pad_x = max((conv_output_size(in_width, filter_width, stride_x, "SAME") - 1) * stride_x
                    + filter_width - in_width, 0)
        inputs = tf.pad(inputs, [[0, 0], [pad_y // 2, pad_y - pad_y // 2], [pad_x // 2, pad_x - pad_x // 2], [0, 0]])
    elif padding != "VALID":
        inputs = tf.pad(inputs, padding)
    out_height = (inputs.shape[1] - filter_height) // stride_y + 1
    out_width = (inputs.shape[2] - filter_width) // stride_x + 1
    rows = []
    for i in range(max(out_height, 0)):
        row = []
        for j in range(max(out_width, 0)):
            window = inputs[:, i * stride_y:i * stride_y + filter_height, j * stride_x:j * stride_x + filter_width, :]
            product = tf.multiply(tf.expand_dims(window, -1), filters)      # batch, fh, fw, in, out
            row.append(tf.reduce_sum(product, axis=[1, 2, 3]))
        rows.append(tf.stack(row, axis=1) if row else tf.zeros((num_examples, 0, filter_out_channels)))
    if not rows:
        return tf.zeros((num_examples, 0, max(out_width, 0), filter_out_channels)).numpy()
    return tf.stack(rows, axis=1).numpy()
