# Copyright (c) OpenMMLab. All rights reserved.
from .distill_delivery import DistillDelivery
from .distill_delivery_manager import (SUPPORT_DELIVERIES,
                                       DistillDeliveryManager)
from .function_outputs_delivery import FunctionOutputsDelivery
from .method_outputs_delivery import MethodOutputsDelivery

__all__ = [
    'DistillDelivery', 'FunctionOutputsDelivery', 'MethodOutputsDelivery',
    'DistillDeliveryManager', 'SUPPORT_DELIVERIES'
]
