def convolution_forward_numpy(image, kernel)-> np.array:
    col = image.shape[0] +2
    row = image.shape[1] +2
    c_max = image.shape[0] + 1
    r_max = image.shape[1] + 1
    image_pad = np.zeros((col, row))
    image_pad[1:c_max,1:r_max]= image[:,:]
    output = np.zeros((image.shape[0],image.shape[1]))
   
    for i in range (0, image.shape[0]):
        for j in range (0,image.shape[1]):
            conv = image_pad[i:i+kernel.shape[0], j:j+kernel.shape[1]] * kernel
            conv = np.sum(conv[:,:])
            output[i,j] = conv
    output = output.astype(np.int32)
    return output


def convolution_forward_torch(image, kernel):
    image = torch.Tensor(image)
    conv = nn.Conv2d(image.shape[0], image.shape[1], kernel.shape ,stride=1, padding=1)
    output = conv(image[np.newaxis,:,:,np.newaxis])
