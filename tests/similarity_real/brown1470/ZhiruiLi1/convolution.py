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

    # input's number of in_channels is equivalent to the filters' number of in_channels
    assert input_in_channels == filter_in_channels

    # Cleaning padding input
    if padding == "SAME":
        padY = math.floor((filter_height - 1) / 2)
        padX = math.floor((filter_width - 1) / 2)
        # The math.floor() method rounds a number DOWN to the nearest integer, if necessary, and returns the result
    else:
        padY = 0
        padX = 0
    
    inputs_pad = np.pad(inputs, [(0, 0), (padY, padX), (padY, padX), (0, 0)], mode = 'constant')  # apply padding to the inputs 

    # Calculate output dimensions
    output_height = math.floor((in_height + 2 * padY - filter_height) / strideY + 1)  # strideY = 1
    output_width = math.floor((in_width + 2 * padX - filter_width) / strideX + 1)     # strideX = 1
    output_channels = filter_out_channels
    outputs = np.zeros((num_examples, output_height, output_width, output_channels))

    for cha in range(output_channels):
        for width in range(output_width):
            for height in range(output_height):
                for num in range(num_examples):
                    out = inputs_pad[num, height:height+filter_height, width:width+filter_width , :]

                    outputs[num, height, width, cha] = tf.reduce_sum(tf.multiply(out, filters[:,:,:,cha]))

    # PLEASE RETURN A TENSOR. HINT: tf.convert_to_tensor(your_array, dtype = tf.float32)
    outputs = tf.convert_to_tensor(outputs, dtype = tf.float32)
    return outputs
