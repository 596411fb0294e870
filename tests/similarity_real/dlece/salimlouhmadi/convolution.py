def convolution_forward_numpy(image, kernel):
    I = np.c_[np.zeros((image.shape[0], 1)), image, np.zeros((image.shape[0], 1))]
    I = np.r_[np.zeros((1, I.shape[1])), I, np.zeros((1, I.shape[1]))]

    Conv = np.zeros(image.shape)
    for i in range(I.shape[1]-2):
        for j in range(I.shape[0]-2):
            Conv[j, i] = (kernel * I[j:(j+3), i:(i+3)]).sum()
    return Conv


def convolution_forward_torch(image, kernel):
    I = image.reshape(1,1,image.shape[1],image.shape[0])
    I = torch.Tensor(I)
    K= kernel.reshape(1,1,kernel.shape[1],kernel.shape[0])
    K = torch.Tensor(K)
    Conv = F.conv2d(I,K,padding=1,groups=1)
    return Conv.numpy().astype(int).reshape(I.shape[2],I.shape[3])
