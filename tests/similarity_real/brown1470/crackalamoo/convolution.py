import numpy as np
import tensorflow as tf

def conv2d(inputs, filters, strides, padding):
    """
    Performs 2D convolution given 4D inputs and filter Tensors.
    :param inputs: tensor with shape [num_examples, in_height, in_width, in_channels]
    :param filters: tensor with shape [filter_height, filter_width, in_channels, out_channels]
    :param strides: MUST BE [1, 1, 1, 1] - list of strides, with each stride corresponding to each dimension in input
    :param padding: either "SAME" or "VALID", capitalization matters
    :return: outputs, Tensor with shape [num_examples, output_height, output_width, output_channels]
    """
    num_examples, in_height, in_width, input_in_channels = inputs.shape
    filter_height, filter_width, filter_in_channels, filter_out_channels = filters.shape
    num_examples_stride, strideY, strideX, channels_stride = strides
    
    assert input_in_channels == filter_in_channels, "Inconsistent Input Channels"

    if padding == 'SAME':
        # Calculate padding for 'SAME'
        pad_height = max(filter_height - strideY, 0)
        pad_width = max(filter_width - strideX, 0)
        # Apply padding evenly to the top/bottom and left/right
        pad_top = pad_height // 2
        pad_bottom = pad_height - pad_top
        pad_left = pad_width // 2
        pad_right = pad_width - pad_left
        inputs = np.pad(inputs, ((0,0), (pad_top, pad_bottom), (pad_left, pad_right), (0,0)))
    else:
        # No padding for 'VALID'
        pad_top = 0
        pad_bottom = 0
        pad_left = 0
        pad_right = 0

    # Adjusted output dimensions
    output_height = (in_height + pad_top + pad_bottom - filter_height) // strideY + 1
    output_width = (in_width + pad_left + pad_right - filter_width) // strideX + 1

    conv_arr = np.zeros((num_examples, output_height, output_width, filter_out_channels))
    for n in range(num_examples):
        for h in range(output_height):
            for w in range(output_width):
                for c in range(filter_out_channels):
                    conv_arr[n, h, w, c] = np.sum(
                        inputs[n, h*strideY:(h*strideY+filter_height), w*strideX:(w*strideX+filter_width), :] * filters[:, :, :, c]
                    )

    # Convert the numpy array back to a TensorFlow tensor
    conv_arr = tf.convert_to_tensor(conv_arr, dtype=tf.float32)
    return conv_arr
