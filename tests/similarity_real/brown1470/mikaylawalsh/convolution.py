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

    # should i make this [1, 1, 1, 1]
    num_examples_stride = strides[0]
    strideY = strides[1]
    strideX = strides[2]
    channels_stride = strides[3]

    # 1. assert inputs "in channels" is equal to filter's "in channels"
    assert(input_in_channels == filter_in_channels)
    if padding == "SAME":
        if (in_height % strides[1] == 0):
            pad_along_height = max(filter_height - strideY, 0)
        else:
            pad_along_height = max(filter_height - (in_height % strideY), 0)
        if (in_width % strides[2] == 0):
            pad_along_width = max(filter_width - strideX, 0)
        else:
            pad_along_width = max(filter_width - (in_width % strideX), 0)

        pad_Ytop = pad_along_height // 2
        pad_Ybottom = pad_along_height - pad_Ytop
        pad_Xleft = pad_along_width // 2
        pad_Xright = pad_along_width - pad_Xleft
    else:
        pad_Xleft = 0
        pad_Xright = 0
        pad_Ytop = 0
        pad_Ybottom = 0
    
    # 4. use np.pad to pad input
    padded_input = np.pad(
        inputs, ((pad_Ytop, pad_Ytop), (pad_Xleft, pad_Xleft), (pad_Xright, pad_Xright), (pad_Ybottom, pad_Ybottom))) # is this right??
    # 5. create a NumPy array with the correct output dimensions (below)

    # should i be using padded dimensions 
    output_height = int(
        (in_height + 2*pad_Ytop - filter_height) / strideY + 1)
    output_width = int((in_width + 2*pad_Xleft - filter_width) / strideX + 1)
    output_dim1 = num_examples
    output_dim4 = filter_out_channels
    output = np.zeros((output_dim1, output_height, output_width, output_dim4)) 

    # i only want to alter inner two dimensions -- i need to sum something
    for i in range(0, num_examples, num_examples_stride):
        for j in range(filter_out_channels):
            for x in range(0, output_width, strideX):
                for y in range(0, output_height, strideY):
                    in_chunk = padded_input[i, x:x+filter_width, y:y+filter_height]
                    filt_chunk = filters[:, :, :, j]
                    output[i][x][y][j] = np.sum(np.multiply(in_chunk, filt_chunk))
    # 9. return a tensor
    return tf.convert_to_tensor(output, dtype=tf.float32)
