# Copyright (c) OpenMMLab. All rights reserved.
from .squeezemean_with_dropout import SqueezeMeanPoolingWithDropout

__all__ = ['SqueezeMeanPoolingWithDropout']
