def convolution_forward_numpy(image, kernel):
    # YOUR CODE HERE 
    NotImplemented


def convolution_forward_torch(image, kernel):
    # YOUR CODE HERE 
    NotImplemented
