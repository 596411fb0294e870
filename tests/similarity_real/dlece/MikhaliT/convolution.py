def convolution_forward_numpy(image, kernel):
    # YOUR CODE HERE
    [x,y] = image.shape
    ret = np.zeros((x,y))
    cal = np.zeros((x+2,y+2))
    cal[1:x+1,1:y+1] = image
    for i in range(x) :
      for j in range(y) :
        ret[i,j] = sum(sum(kernel*cal[i:i+3,j:j+3]))
    return ret.astype(int)


def convolution_forward_torch(image, kernel):
    # YOUR CODE HERE 
    m = nn.Conv2d(1, 1, 3, padding=1, bias=False)
    kernel = kernel.float()
    m.weight = torch.nn.Parameter( kernel )
    image = image.float()
    return m(image)
