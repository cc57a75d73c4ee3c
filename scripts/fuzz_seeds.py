#!/usr/bin/env python3
"""Seed corpus for scripts/fuzz: small files written by the reference implementation."""
import os
import sys

import numpy as np
from safetensors.numpy import save_file

folder = sys.argv[1]
os.makedirs(folder, exist_ok=True)
rng = np.random.default_rng(3)
save_file({}, os.path.join(folder, "empty.safetensors"))
save_file({"w": rng.standard_normal((2, 3)).astype(np.float32)},
          os.path.join(folder, "f32.safetensors"), metadata={"format": "pt"})
save_file({"a": np.arange(4, dtype=np.int64), "b": np.ones((2, 2), dtype=np.float16),
           "s": np.array(1.5, dtype=np.float64), "z": np.zeros((0, 3), dtype=np.uint8)},
          os.path.join(folder, "mixed.safetensors"))
