# Copyright (c) OpenMMLab. All rights reserved.
"""Quantization implementations (``gptq`` is imported explicitly)."""
