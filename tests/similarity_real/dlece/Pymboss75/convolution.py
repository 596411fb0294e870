def convolution_forward_numpy(image, kernel):
    # YOUR CODE HERE 
    image_0 = np.zeros([image.shape[0]+2, image.shape[1]+2])
    image_0[1:image_0.shape[0]-1, 1:image_0.shape[1]-1] = image
    R = np.zeros([image.shape[0], image.shape[1]])

    for i in range (0,R_0.shape[0]) :
      for j in range (0,R_0.shape[1]) :
        R[i,j] = np.sum(image_0[i:i+kernel.shape[0],j:j+kernel.shape[1]]*kernel)

    return R


def convolution_forward_torch(image, kernel):
    # YOUR CODE HERE 
    image_t = torch.from_numpy(image)
    image_n = torch.ones((image_t.shape[0]+2, image_t.shape[1]+2))
    image_n[1:image_n.shape[0]-1, 1:image_n.shape[1]-1] = image_t

    kernel_t = torch.zeros(kernel.shape[0], kernel.shape[1],1)
    kernel_t[:,:,0] = torch.from_numpy(kernel)
    out = F.conv2d(image_n.view(1,1,image_n.shape[0], image_n.shape[1]), kernel_t.view(1,1,kernel_t.shape[0], kernel_t.shape[1]))
    
    return out.reshape((out.shape[-2], out.shape[-1]))
