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
    num_examples = len(inputs)
    in_height = len(inputs[0])
    in_width = len(inputs[0][0])
    input_in_channels = len(inputs[0][0][0])

    filter_height = filters.shape[0]
    filter_width = filters.shape[1]
    filter_in_channels = filters.shape[2]
    filter_out_channels = filters.shape[3]

    num_examples_stride = strides[0]
    strideY = strides[1]
    strideX = strides[2]
    channels_stride = strides[3]

    if input_in_channels != filter_in_channels:
        raise Exception("Input in-channels (%s) must equal Filter in-channels (%s)" %(input_in_channels,filter_in_channels))

    elif padding in ['SAME', 'VALID']:
        if padding == 'SAME':
            pady = math.floor((filter_height-1)/2)
            padx = math.floor((filter_width-1)/2) 

        elif padding == 'VALID':
            pady = 0
            padx = 0
        
        pad_inputs = np.pad(inputs, ((0, 0), (pady, pady), (padx, padx), (0, 0)))
        output_height = int((in_height - filter_height + 2*pady)/strideY+1)
        output_width = int((in_width - filter_width + 2*padx)/strideX+1)
        output = np.zeros((num_examples, output_height, output_width, filter_out_channels))

        for ind in range(0, int(num_examples/num_examples_stride)):
            image = pad_inputs[ind]

            for row in range(output_height):
                for col in range(output_width):
                    for channel in range(filter_out_channels):
                        output[ind, row, col, channel] = np.sum(np.multiply(image[row:row+filter_height, col:col+filter_width], filters[:,:,:,channel]))
                            
        return output
