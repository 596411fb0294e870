def convolution_forward_numpy(image, kernel):
  L = len(kernel)
  H = int(kernel.size/len(kernel))
  conv = np.zeros((len(image),int(image.size/len(image))))
  image = np.pad(image,(1,1))
  sub_shape = (L,H)
  view_shape = tuple(np.subtract(image.shape, sub_shape) + 1) + sub_shape
  strides = image.strides + image.strides
  sub_matrices = np.lib.stride_tricks.as_strided(image,view_shape,strides) 
  for i in range(len(sub_matrices)):
    for j in range(len(sub_matrices)):
      conv[i,j] = sum(sum(sub_matrices[i,j]*kernel))
  
  conv = conv.astype(int)
  return conv


def convolution_forward_torch(image, kernel):
  image = image.reshape(1,1,image.shape[1], image.shape[0])
  tensor_image = torch.Tensor(image)

  kernel = kernel.reshape(1,1, kernel.shape[1], kernel.shape[0])
  tensor_kernel = torch.Tensor(kernel)

  result = F.conv2d(tensor_image, tensor_kernel, padding=1)
  return image
