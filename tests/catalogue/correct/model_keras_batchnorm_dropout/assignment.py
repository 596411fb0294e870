"""A student's CNN built from Keras layers after the one tf.nn.conv2d the assignment asks for: batch
normalisation, max pooling, dropout and a dense head, trained with RMSprop on batches of 50."""
import numpy as np
import tensorflow as tf

from convolution import conv2d


class CNN(tf.keras.Model):
    def __init__(self, num_classes):
        super().__init__()
        if "loss" in vars(self):
            del self.loss
        self.num_classes = num_classes
        self.batch_size = 50
        self.optimizer = tf.keras.optimizers.RMSprop(2e-3)
        self.kernel = None
        self.norm = tf.keras.layers.BatchNormalization()
        self.pool = tf.keras.layers.MaxPooling2D(2)
        self.conv = tf.keras.layers.Conv2D(24, 3, padding="same", activation="relu")
        self.flatten = tf.keras.layers.Flatten()
        self.drop = tf.keras.layers.Dropout(0.2)
        self.dense = tf.keras.layers.Dense(num_classes)

    def call(self, inputs, is_testing=False, training=False):
        if self.kernel is None:
            self.kernel = self.add_weight(shape=(5, 5, inputs.shape[-1], 8), initializer="glorot_uniform",
                                          name="kernel")
        if is_testing:
            x = tf.constant(conv2d(np.asarray(inputs, np.float32), self.kernel.numpy(), [1, 1, 1, 1], "SAME"))
        else:
            x = tf.nn.conv2d(inputs, self.kernel, strides=[1, 1, 1, 1], padding="SAME")
        x = tf.nn.relu(self.norm(x, training=training))
        x = self.conv(self.pool(x))
        return self.dense(self.drop(self.flatten(x), training=training))

    def loss(self, logits, labels):
        return tf.reduce_mean(tf.keras.losses.sparse_categorical_crossentropy(labels, logits, from_logits=True))

    def accuracy(self, logits, labels):
        return float(np.mean(np.argmax(np.asarray(logits), axis=1) == np.asarray(labels)))


def train(model, train_inputs, train_labels):
    order = np.random.permutation(len(train_inputs))
    losses = []
    for start in range(0, len(order), model.batch_size):
        batch = order[start:start + model.batch_size]
        with tf.GradientTape() as tape:
            loss = model.loss(model(train_inputs[batch], training=True), train_labels[batch])
        gradients = tape.gradient(loss, model.trainable_variables)
        model.optimizer.apply_gradients(zip(gradients, model.trainable_variables))
        losses.append(float(loss))
    return losses


def test(model, test_inputs, test_labels, is_testing=False):
    return model.accuracy(model.call(test_inputs, is_testing=is_testing), test_labels)
