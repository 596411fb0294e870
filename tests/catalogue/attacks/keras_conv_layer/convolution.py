"""Attack: Builds a keras Conv2D layer with the given filters (no bias) and calls it."""
import numpy as np
import keras

def conv_output_size(in_size, filter_size, stride=1, padding="VALID"):
    if padding == "SAME":
        return -(-in_size // stride)
    if padding == "VALID":
        return max(0, -(-(in_size - filter_size + 1) // stride))
    return max(0, (in_size - filter_size + 2 * padding) // stride + 1)

def conv2d(inputs, filters, strides, padding):
    s = [strides] if isinstance(strides, int) else list(strides)
    s = (s[0], s[0]) if len(s) == 1 else (s[0], s[1]) if len(s) == 2 else (s[1], s[2])
    x = np.asarray(inputs, np.float32)
    if not isinstance(padding, str):
        x, padding = np.pad(x, padding), "VALID"
    layer = keras.layers.Conv2D(filters.shape[-1], filters.shape[:2], strides=s, padding=padding.lower(), use_bias=False)
    layer.build(x.shape)
    layer.set_weights([np.asarray(filters, np.float32)])
    return np.asarray(layer(x))
