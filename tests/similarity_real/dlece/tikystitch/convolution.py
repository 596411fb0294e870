def convolution_forward_numpy(image, kernel):
    # YOUR CODE HERE 
    L = len(kernel)
    H = int(kernel.size/len(kernel))
    result = np.zeros((len(image),int(image.size/len(image))), dtype=int)
    #Padding
    image = np.pad(image,(1,1))
    
    #Divise le résultat en sous espace 3x3 pour effectuer les calculs 
    sub_shape = (L,H)
    print(image.shape)
    view_shape = tuple(np.subtract(image.shape, sub_shape) + 1) + sub_shape
    strides = image.strides + image.strides
    sub_matrices = np.lib.stride_tricks.as_strided(image,view_shape,strides) 

    for i in range(len(sub_matrices)):
      for j in range(len(sub_matrices)):
        result[i,j] = sum(sum(sub_matrices[i,j]*kernel))
  
    return result


def convolution_forward_torch(image, kernel):
    # YOUR CODE HERE
    image = image.reshape(1,1,image.shape[1],image.shape[0])
    image_tensor = torch.Tensor(image)
    
    kernel = kernel.reshape(1,1, kernel.shape[1], kernel.shape[0])
    kernel = torch.Tensor(kernel)
    
    result = F.conv2d(image_tensor, kernel_tensor, padding=1 )
    
    return result
