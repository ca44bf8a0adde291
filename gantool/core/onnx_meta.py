"""The metadata_props gantool writes into every exported ONNX file (the ONNX contract).

Shared by export (writes) and runtime (reads) without importing either side's heavy deps.
All values are strings, as ONNX stores them.
"""

from __future__ import annotations

GANTOOL_VERSION = "gantool_version"
MODEL = "model"
LOSS = "loss"
KIND = "kind"  # the data kind: image, vector, table, or a plugin's
LATENT_DIM = "latent_dim"
NUM_CLASSES = "num_classes"
IMAGE_SHAPE = "image_shape"  # "C,H,W" for images, "D" for vectors
VALUE_RANGE = "value_range"  # "-1,1" (float output) or "0,255" (uint8 output)
OUTPUT_LAYOUT = "output_layout"  # NCHW | NHWC | ND
DATASET = "dataset"
TRAINING_STEP = "training_step"
CONFIG_HASH = "config_hash"
WEIGHTS = "weights"  # ema | raw
PRECISION = "precision"  # fp32 | fp16 (inside the graph; inputs and outputs stay float32)
COLUMNS = "columns"  # tables: JSON list of {name, kind, categories} (gantool.core.tables)
DIRECTION = "direction"  # image-to-image: which translator this file is ("a2b"), input `image`
DATA_OPTIONS = "data_options"  # JSON of the run's [data_options], to load the reference data alike
INPUTS = "inputs"  # the graph's input names in order, comma-separated ("z,labels", "image")

INPUT_Z, INPUT_LABELS, INPUT_IMAGE = "z", "labels", "image"
OUTPUT_IMAGES, OUTPUT_SAMPLES = "images", "samples"
