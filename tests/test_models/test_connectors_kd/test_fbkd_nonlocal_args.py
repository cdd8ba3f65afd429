# Copyright (c) OpenMMLab. All rights reserved.
"""The FBKD connectors take the mmcv ``NonLocal2d`` arguments the original
FBKD detection config passes."""
import pytest
import torch
from torch import nn

from mmrazor.models.architectures.connectors import (FBKDStudentConnector,
                                                     FBKDTeacherConnector)
from mmrazor.models.losses import FBKDLoss


@pytest.mark.parametrize('mode', ['dot_product', 'embedded_gaussian'])
def test_nonlocal_args(mode):
    torch.manual_seed(0)
    kwargs = dict(
        in_channels=8,
        reduction=4,
        mode=mode,
        sub_sample=True,
        maxpool_stride=4,
        use_scale=False)
    student = FBKDStudentConnector(**kwargs)
    teacher = FBKDTeacherConnector(**kwargs)
    assert student.non_local.mode == mode
    assert student.non_local.use_scale is False
    pools = [
        m for m in student.non_local.modules() if isinstance(m, nn.MaxPool2d)
    ]
    assert pools and all(p.kernel_size == 4 == p.stride for p in pools)
    x_s, x_t = torch.randn(2, 8, 16, 16), torch.randn(2, 8, 16, 16)
    s_out, t_out = student(x_s), teacher(x_t)
    assert len(s_out) == len(t_out) == 4
    assert s_out[3].shape == t_out[3].shape == (2, 8, 16, 16)
    loss = FBKDLoss()(s_out, t_out)
    assert torch.isfinite(loss) and loss > 0


def test_no_sub_sample_and_defaults():
    plain = FBKDTeacherConnector(8, sub_sample=False)
    assert not any(
        isinstance(m, nn.MaxPool2d) for m in plain.non_local.modules())
    default = FBKDTeacherConnector(8)
    pools = [
        m for m in default.non_local.modules() if isinstance(m, nn.MaxPool2d)
    ]
    assert pools and pools[0].kernel_size == 2
    with pytest.raises(ValueError, match='Mode should be'):
        FBKDTeacherConnector(8, mode='cosine')
    with pytest.raises(TypeError, match='unexpected keyword'):
        FBKDTeacherConnector(8, no_such_arg=1)
