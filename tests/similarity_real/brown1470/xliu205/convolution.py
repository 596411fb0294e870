from __future__ import absolute_import

import os
import tensorflow as tf
import numpy as np
import random
import math

def conv2d(inputs, filters, strides, padding):
    """
    Performs 2D convolution given 4D inputs and filter Tensors.
    :param inputs: tensor with shape [num_examples, in_height, in_width, in_channels]
    :param filters: tensor with shape [filter_height, filter_width, in_channels, out_channels]
    :param strides: MUST BE [1, 1, 1, 1] - list of strides, with each stride corresponding to each dimension in input
    :param padding: either "SAME" or "VALID", capitalization matters
    :return: outputs, Tensor with shape [num_examples, output_height, output_width, output_channels]
    """
    num_examples = inputs.shape[0]
    in_height = inputs.shape[1]
    in_width = inputs.shape[2]
    input_in_channels = inputs.shape[3]

    filter_height = filters.shape[0]
    filter_width = filters.shape[1]
    filter_in_channels = filters.shape[2]
    filter_out_channels = filters.shape[3]

    num_examples_stride = strides[0]
    strideY = strides[1]
    strideX = strides[2]
    channels_stride = strides[3]

    assert input_in_channels == filter_in_channels  # throw error if channels not same

    # Cleaning padding input
    if padding == 'SAME':
        py = (filter_height - 1) // 2
        px = (filter_width - 1) // 2
    else:
        py = 0
        px = 0

    inputs = np.pad(inputs, ((0, 0), (py, px), (py, px), (0, 0)), 'constant')
    # Calculate output dimensions
    output_height = (in_height - filter_height + py*2) // strideY + 1
    output_width = (in_width - filter_width + px*2) // strideX + 1
    output_channels = filter_out_channels
    outputs = np.zeros((num_examples, output_height, output_width, output_channels))

    for i in range(0, num_examples):
        print('i=',i)
        for y in range(0, output_height):
            for x in range(0, output_width):
                for k in range(0, output_channels):
                    tmp = inputs[i, y: y+filter_height, x: x+filter_width, :]
                    kernel = filters[:, :, :, k]
                    outputs[i, y, x, k] = np.tensordot(tmp, kernel, ((0, 1, 2), (0, 1, 2)))

    return tf.convert_to_tensor(outputs, tf.float32)

    pass
