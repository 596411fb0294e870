def convolution_forward_numpy(image, kernel):
    # YOUR CODE HERE 
    x_out = image.shape[0]
    y_out = image.shape[1]
    if (len(image.shape)==3) :
      z_out = image.shape[2]
    elif (len(image.shape)<3) :
      z_out = 1
    pass
    image_n = np.zeros((x_out+2, y_out+2, z_out))
    image_n[1:x_out+1, 1:y_out+1, :] = image.reshape(image.shape[0], image.shape[1], z_out)
    out=np.zeros((x_out, y_out, z_out))

    
    for k in range(0, z_out):
      for i in range(0, x_out):
        for j in range(0, y_out):
            out[i,j,k] = np.sum(image_n[i:i+kernel.shape[0], j:j+kernel.shape[1], k]*kernel)

              
    if (z_out==1) :
      out = out.reshape(x_out, y_out)
    return out


def convolution_forward_torch(image, kernel):
    # YOUR CODE HERE 
    image_t = torch.from_numpy(image)
   
    image_n = torch.ones((image_t.shape[0]+2, image_t.shape[1]+2))
    image_n[1:image_n.shape[0]-1, 1:image_n.shape[1]-1] = image_t
    kernel_t = torch.zeros(kernel.shape[0], kernel.shape[1], 1)
    kernel_t[:,:,0]=torch.from_numpy(kernel)
    out = F.conv2d(image_n.view(1,1,image_n.shape[0], image_n.shape[1]), kernel_t.view(1,1,kernel.shape[0],kernel.shape[1]))
    return out.reshape((out.shape[-2], out.shape[-1]))
