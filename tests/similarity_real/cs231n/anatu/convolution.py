def conv_forward_naive(x, w, b, conv_param):
    """
    A naive implementation of the forward pass for a convolutional layer.

    The input consists of N data points, each with C channels, height H and
    width W. We convolve each input with F different filters, where each filter
    spans all C channels and has height HH and width WW.

    Input:
    - x: Input data of shape (N, C, H, W)
    - w: Filter weights of shape (F, C, HH, WW)
    - b: Biases, of shape (F,)
    - conv_param: A dictionary with the following keys:
      - 'stride': The number of pixels between adjacent receptive fields in the
        horizontal and vertical directions.
      - 'pad': The number of pixels that will be used to zero-pad the input.

    Returns a tuple of:
    - out: Output data, of shape (N, F, H', W') where H' and W' are given by
      H' = 1 + (H + 2 * pad - HH) / stride
      W' = 1 + (W + 2 * pad - WW) / stride
    - cache: (x, w, b, conv_param)
    """
    out = None
    ###########################################################################
    # TODO: Implement the convolutional forward pass.                         #
    # Hint: you can use the function np.pad for padding.                      #
    ###########################################################################
    # *****START OF YOUR CODE (DO NOT DELETE/MODIFY THIS LINE)*****

    # Unpack sizes
    N, C, H, W = x.shape
    F, C, HH, WW = w.shape
    
    # Unpack parameters
    pad = conv_param["pad"]
    stride = conv_param["stride"]
    
    # Compute output vol
    Hprime = np.int((H + 2*pad - HH)/stride) + 1
    Wprime = np.int((W + 2*pad - WW)/stride) + 1
    
    # Apply padding to image (only on the planar dimension)
    pads = ((0,0), (0,0), (pad,pad), (pad,pad))
    xPad = np.pad(x, pads, mode="constant")
    
    # Initialize out
    out = np.zeros((N, F, Hprime, Wprime))    
    
    # Slide the filter masks across the image
    # Go through each point
    for point in range(N):
        # SLide along height
        for py in range(Hprime):
            # Start of window jumps by the stride
            h_i = py*stride
            # End is start + height of filter mask
            h_f = h_i + HH
            for px in range(Wprime):
                # Analogoous for width
                w_i = px*stride
                w_f = w_i + WW
                # Pull the mask region for that point using the h and w windows
                mask_region = xPad[point,:,w_i:w_f,h_i:h_f]
                # Iterate through the filters and apply weights
                for f in range(F):
                    # Pull weights for the f-th filter
                    filtWeights = w[f,:,:,:]
                    # Calculate result + bias, store in out
                    out[point, f, px, py] = np.sum(filtWeights*mask_region) + b[f]
                                
    pass

    # *****END OF YOUR CODE (DO NOT DELETE/MODIFY THIS LINE)*****
    ###########################################################################
    #                             END OF YOUR CODE                            #
    ###########################################################################
    cache = (x, w, b, conv_param)
    return out, cache
