def convolution_forward_numpy(image, kernel):
    # YOUR CODE HERE 
    image_c = np.c_[np.zeros((image.shape[0], 1)), image, np.zeros((image.shape[0], 1))]
    image_c = np.r_[np.zeros((1, image_c.shape[1])), image_c, np.zeros((1, image_c.shape[1]))]

    out = np.zeros(image.shape)

    for y in range(image.shape[1]):
        for x in range(image.shape[0]):
            out[x, y] = (kernel * image_c[x:(x+3), y:(y+3)]).sum()
    return out


def convolution_forward_torch(image, kernel):
    # YOUR CODE HERE 

    #On reshape nos donnees
    image_c = image.reshape(1, 1, image.shape[0], image.shape[1])
    #On convertit le format et on cast en float sinon on a une erreur de type long
    image_c = torch.from_numpy(image_c).float()

    #On cree notre kernel avec pytroch et nos parametre
    layer = nn.Conv2d(1, 1, kernel_size=(kernel.shape), stride=1, padding=1)

    #On associe les poids de notre kernel a notre layer pytorch
    layer.weight[:] = torch.from_numpy(kernel).float()

    #On convolue
    out = layer(image_c)

    return out.detach().numpy()
