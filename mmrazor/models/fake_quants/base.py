# Copyright (c) OpenMMLab. All rights reserved.
from mmrazor.structures.quantization.torch_ao import FakeQuantizeBase

BaseFakeQuantize = FakeQuantizeBase
