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

    # Cleaning padding input

    # Calculate output dimensions
    assert(input_in_channels==filter_in_channels)
    out_height=0
    out_width=0
    if(padding=="SAME"):
        # pad_width=math.floor((filter_height-1)/2)
        pad_width=math.floor((filter_height-1)/2)
        # out_height=in_height
        # out_width=in_width
    else:
        pad_width=0
        # out_height=inputs.shape[1]-filter_width+1
        # out_width=inputs.shape[2]-filter_height+1
    out_height=int((in_height + 2*pad_width - filter_height) / strideY + 1)
    out_width=int((in_width + 2*pad_width - filter_width) / strideX + 1)
    padding=np.pad(inputs,math.floor(pad_width),mode='edge')
    # print(padding)
    output=np.zeros((num_examples,out_height,out_width,filter_out_channels))
    filter1=tf.transpose(filters,perm=[3,0,1,2])
    for k in range(num_examples):
        inputs1=inputs[k]
        for j in range(inputs1.shape[0]-filter_height+1):
            for i in range(inputs1.shape[1]-filter_width+1):
                output[k,j,i]=np.sum((inputs1[j:j+filter_width,i:i+filter_height]*filter1),axis=(1,2,3))
        # print(padding[0,3:5,0:2])
    return output
