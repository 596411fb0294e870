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

    # Check if input channels equivalent to filter channels
    assert input_in_channels == filter_in_channels

    # Cleaning padding input

    pad_height = 0
    pad_width = 0
    if padding == "SAME":
        # pad_height = math.floor((filter_height - 1) / 2)
        pad_height = (filter_height - 1) / 2
        # pad_width = math.floor((filter_width - 1) / 2)
        pad_width = (filter_width - 1) / 2

    # pad input
    if filter_height % 2 == 0:
        padded_inputs = np.pad(inputs, pad_width=[(0, 0), (math.floor(pad_height), math.floor(pad_height) + 1), (math.floor(pad_width), math.floor(pad_width) + 1), (0, 0)], mode = 'constant', constant_values = 0)

    else:
        padded_inputs = np.pad(inputs, pad_width=[(0, 0), (math.floor(pad_height), math.floor(pad_height)), (math.floor(pad_width), math.floor(pad_width)), (0, 0)], mode = 'constant', constant_values = 0)

    # Calculate output dimensions
    output_height = int((in_height + 2 * pad_height - filter_height) / strideY + 1) # might change 
    output_width = int((in_width + 2 * pad_width - filter_width) / strideX + 1)

    #Initialize output array
    output = np.zeros((num_examples, output_height, output_width, filter_out_channels)) # out channels is number of filters
    
    for num in range(num_examples):
        for height in range(output_height):
            for width in range(output_width):
                for channel in range(filter_out_channels): # number of channels 
                    filtered_slice = padded_inputs[num, height * strideY:height * strideY + filter_height,  width * strideX:width * strideX + filter_width, :]
                    output[num, height, width, channel] = np.sum(filtered_slice * filters[:, :, :, channel])
                    
    return tf.convert_to_tensor(output, dtype = tf.float32)
