"""A student's CNN in the older course's style, on a tf.Module rather than a Keras model: every weight a tf.Variable
made in __init__ (the input channels fixed at 1), two convolutions through tf.nn.conv2d, batch statistics by tf.nn.moments, dropout while training (train() passes training=True), and a
training loop over shuffled index batches with a 1e-3 Adam."""
import numpy as np
import tensorflow as tf

from convolution import conv2d


class CNN(tf.Module):
    def __init__(self, num_classes):
        super(CNN, self).__init__()
        self.num_classes = num_classes
        self.batch_size = 64
        self.optimizer = tf.keras.optimizers.Adam(learning_rate=1e-3)
        self.filter1 = tf.Variable(tf.random.truncated_normal([3, 3, 1, 16], stddev=0.1))
        self.b1 = tf.Variable(tf.random.truncated_normal([16], stddev=0.1))
        self.filter2 = tf.Variable(tf.random.truncated_normal([3, 3, 16, 20], stddev=0.1))
        self.b2 = tf.Variable(tf.random.truncated_normal([20], stddev=0.1))
        self.W1 = tf.Variable(tf.random.truncated_normal([4 * 4 * 20, 64], stddev=0.1))
        self.bd1 = tf.Variable(tf.random.truncated_normal([64], stddev=0.1))
        self.W2 = tf.Variable(tf.random.truncated_normal([64, num_classes], stddev=0.1))
        self.bd2 = tf.Variable(tf.random.truncated_normal([num_classes], stddev=0.1))

    def call(self, inputs, is_testing=False, training=False):
        if is_testing:
            conv1 = tf.convert_to_tensor(conv2d(np.array(inputs), self.filter1.numpy(), [1, 1, 1, 1], "SAME"))
        else:
            conv1 = tf.nn.conv2d(inputs, self.filter1, [1, 1, 1, 1], "SAME")
        conv1 = tf.nn.bias_add(conv1, self.b1)
        mean, variance = tf.nn.moments(conv1, [0, 1, 2])
        conv1 = tf.nn.relu(tf.nn.batch_normalization(conv1, mean, variance, None, None, 1e-3))
        conv1 = tf.nn.max_pool(conv1, 2, 2, "SAME")
        conv2 = tf.nn.relu(tf.nn.bias_add(tf.nn.conv2d(conv1, self.filter2, 1, "SAME"), self.b2))
        flat = tf.reshape(conv2, [-1, 4 * 4 * 20])
        dense1 = tf.nn.relu(tf.matmul(flat, self.W1) + self.bd1)
        if training:
            dense1 = tf.nn.dropout(dense1, rate=0.1)
        return tf.matmul(dense1, self.W2) + self.bd2

    def loss(self, logits, labels):
        return tf.reduce_mean(tf.nn.sparse_softmax_cross_entropy_with_logits(labels, logits))

    def accuracy(self, logits, labels):
        correct = tf.equal(tf.argmax(logits, 1), tf.cast(labels, tf.int64))
        return float(tf.reduce_mean(tf.cast(correct, tf.float32)))


def train(model, train_inputs, train_labels):
    indices = tf.random.shuffle(range(len(train_inputs)))
    inputs = tf.gather(train_inputs, indices)
    labels = tf.gather(train_labels, indices)
    losses = []
    for start in range(0, len(train_inputs), model.batch_size):
        end = start + model.batch_size
        with tf.GradientTape() as tape:
            loss = model.loss(model.call(inputs[start:end], training=True), labels[start:end])
        gradients = tape.gradient(loss, model.trainable_variables)
        model.optimizer.apply_gradients(zip(gradients, model.trainable_variables))
        losses.append(loss.numpy())
    return losses


def test(model, test_inputs, test_labels, is_testing=False):
    return model.accuracy(model.call(test_inputs, is_testing=is_testing), test_labels)
