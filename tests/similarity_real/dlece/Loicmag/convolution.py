def convolution_forward_numpy(image, kernel):
  #kernel = np.flipud(np.fliplr(kernel))
  # convolution output
  output = np.zeros_like(image)

  # Add zero padding to the input image
  image_padded = np.zeros((image.shape[0] + 2, image.shape[1] + 2))
  image_padded[1:-1, 1:-1] = image

  # Loop over every pixel of the image
  for x in range(image.shape[1]):
    for y in range(image.shape[0]):
      output[y, x]=(kernel * image_padded[y: y+3, x: x+3]).sum()

  return output


def convolution_forward_torch(image, kernel):
    convol = nn.Conv2d(1638 ,1,kernel.shape,stride=2) 
    ker = torch.from_numpy(kernel)
    image = torch.from_numpy(image)
    #image = image.type(torch.LongTensor)
    #convol.weight = torch.nn.Parameter(ker)
    image = torch.unsqueeze(image, 0)
    image = image.float()
    output = convol(image)
    return output
