def convolution_forward_numpy(image, kernel):

    # On crée en amont la matrice de fin remplie de 0, de la même taille que image
    output = np.zeros(image.shape, dtype=int)

    # Ajout du padding
    image_add_padd = np.zeros((image.shape[0] + 2, image.shape[1] + 2))
    image_add_padd[1:-1, 1:-1] = image

    # On multiplie élément par élément pour toute notre matrice
    for x in range(image.shape[0]):
        for y in range(image.shape[1]):
            output[y,x]=(kernel * image_add_padd[y: y+3, x: x+3]).sum()

    return output


def convolution_forward_torch(image, kernel):
    # YOUR CODE HERE 
    output = np.zeros(image.shape, dtype=int)

    # Récupération de l'image et du kernel en Tensor pour avoir 3 dimensions
    tensor_image = torch.Tensor(image.reshape(1, 1, image.shape[0], image.shape[1]))
    tensor_kernel = torch.Tensor(kernel.reshape(1, 1, kernel.shape[0], kernel.shape[1]))

    #Convolution 2D des tensors image et kernel
    output = torch.nn.functional.conv2d(tensor_image, tensor_kernel, padding=1)

    #On reshape pour obtenir le bon format de données (int et matrice 5x5)
    output = output.numpy().astype(int).reshape(image.shape[0], image.shape[1])

    return output
