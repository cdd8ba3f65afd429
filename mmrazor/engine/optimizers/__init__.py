# Copyright (c) OpenMMLab. All rights reserved.
from .optimizer_constructor import SeparateOptimWrapperConstructor

__all__ = ['SeparateOptimWrapperConstructor']
