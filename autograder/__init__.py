"""Autograder for the CNN assignment: grades submissions in a sandbox against fixtures made by tf.nn.conv2d."""
__version__ = "0.1.0"
