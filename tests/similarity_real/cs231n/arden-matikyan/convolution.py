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


    stride_size = conv_param['stride']
    pad_size = conv_param['pad']

    # x: Input data of shape (N, C, H, W)
    N, C, H, W = x.shape 
    # w: Filter weights of shape (F, C, HH, WW)
    F, C, HH, WW = w.shape

    # create output data matrix of new size based on formula 
    H_ = int(1 + (H + 2 * pad_size - HH) / stride_size)
    W_ = int(1 + (W + 2 * pad_size - WW) / stride_size)

    # print(H_, " and ", W_)

    out = np.zeros((N, F, H_, W_))
    # add zero padding to each matrix in input x
    padded = np.pad(x, [(0,0), (0,0), (pad_size,pad_size), (pad_size,pad_size)], 'constant')

    '''
    df = pd.DataFrame(x[1,1,:,:])
    print(df)
    df = pd.DataFrame(padded[1,1,:,:])
    print(df)
    ''' 

    # for each sample iterate over each filter
    for s in range(N): 
      for f in range(F):
        # shift filter across sample 
        for row in range(H_):
          h0 = row*stride_size
          for col in range(W_):
            w0 = col*stride_size

            window = padded[s,:,h0:h0+HH,w0:w0+WW]
            out[s, f, row, col] = np.sum(window*w[f]) + b[f]
            df = pd.DataFrame(out[1,1,:,:])
            #print(df)

    # *****END OF YOUR CODE (DO NOT DELETE/MODIFY THIS LINE)*****
    ###########################################################################
    #                             END OF YOUR CODE                            #
    ###########################################################################
    cache = (x, w, b, conv_param)
    return out, cache
