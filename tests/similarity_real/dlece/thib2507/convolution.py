def convolution_forward_numpy(image, kernel):
    image_p = np.c_[np.zeros((image.shape[0], 1)), image, np.zeros((image.shape[0], 1))]
    image_p = np.r_[np.zeros((1, image_p.shape[1])), image_p, np.zeros((1, image_p.shape[1]))]

    out = np.zeros(image.shape)
    for x in range(image_p.shape[1]-2):
        for y in range(image_p.shape[0]-2):
            out[y, x] = (kernel * image_p[y:(y+3), x:(x+3)]).sum()
    return out


def convolution_forward_torch(image, kernel):
    
    image_c = image.reshape(1, 1, image.shape[0], image.shape[1])
   
    image_c = torch.from_numpy(image_c).float()

    #Creation du kernel
    layer = nn.Conv2d(1, 1, kernel_size=(kernel.shape), stride=1, padding=1)

    layer.weight[:] = torch.from_numpy(kernel).float()


    out = layer(image_c)

    return out.detach().numpy()
