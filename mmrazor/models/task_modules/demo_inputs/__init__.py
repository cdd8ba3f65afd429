# Copyright (c) OpenMMLab. All rights reserved.
from .demo_inputs import (BaseDemoInput, DefaultDemoInput,
                          DefaultMMClsDemoInput, DefaultMMDemoInput,
                          DefaultMMDetDemoInput, DefaultMMSegDemoInput,
                          build_demo_input)
from .demo_inputs import DefaultMMPoseDemoInput

__all__ = [
    'BaseDemoInput', 'DefaultMMDemoInput', 'DefaultMMClsDemoInput',
    'DefaultMMDetDemoInput', 'DefaultMMSegDemoInput', 'DefaultDemoInput',
    'build_demo_input'
]
__all__ += ['DefaultMMPoseDemoInput']
