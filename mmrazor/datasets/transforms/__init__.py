# Copyright (c) OpenMMLab. All rights reserved.
from .formatting import PackCRDClsInputs

__all__ = ['PackCRDClsInputs']
