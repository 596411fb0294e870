"""Shared set-up of the harness's own tests."""
import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SOLUTION = ROOT / "solution"
STENCIL = ROOT / "stencil"

# TensorFlow's reference kernels: with oneDNN on, tf.nn.conv2d returns a wrong shape when a VALID kernel is one
# pixel larger than the input. Quiet logs too. Both must be set before TensorFlow is imported.
os.environ.setdefault("TF_ENABLE_ONEDNN_OPTS", "0")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(SOLUTION))
