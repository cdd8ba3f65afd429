# Copyright (c) OpenMMLab. All rights reserved.
"""Algorithms implemented as self-contained libraries (registered in the
mmrazor registries when imported)."""
from . import pruning  # noqa: F401
