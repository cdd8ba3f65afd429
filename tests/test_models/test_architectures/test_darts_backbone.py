# Copyright (c) OpenMMLab. All rights reserved.
"""DARTS ops, DartsBackbone and DartsSubnetClsHead; the paper-table params
and FLOPs of the DARTS subnets (counted with mmengine.analysis)."""
import copy
import os.path as osp

import pytest
import torch
from mmengine.config import Config

from mmrazor.models import (DartsBackbone, DartsDilConv, DartsPoolBN,
                            DartsSepConv, DartsSkipConnect, DartsSubnetClsHead,
                            DartsZero)
from mmrazor.models.architectures.ops.darts_series import drop_path
from mmrazor.models.mutables import DiffChoiceRoute, DiffMutableOP
from mmrazor.registry import MODELS

REPO = osp.dirname(
    osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__)))))
DARTS_DIR = osp.join(REPO, 'configs/nas/mmcls/darts')


def _supernet_backbone(**kwargs):
    cfg = Config.fromfile(
        osp.join(REPO, 'configs/_base_/nas_backbones/darts_supernet.py'))
    backbone = copy.deepcopy(cfg.nas_backbone.to_dict())
    backbone.update(kwargs)
    return backbone


@pytest.mark.parametrize('stride', [1, 2])
def test_darts_ops_shapes(stride):
    x = torch.rand(2, 8, 8, 8)
    ops = [
        DartsPoolBN(8, 8, stride, pool_type='max'),
        DartsPoolBN(8, 8, stride, pool_type='avg'),
        DartsDilConv(8, 8, stride, kernel_size=3),
        DartsDilConv(8, 8, stride, kernel_size=5),
        DartsSepConv(8, 8, stride, kernel_size=3),
        DartsSepConv(8, 8, stride, kernel_size=5),
        DartsSkipConnect(8, 8, stride),
        DartsZero(8, 8, stride),
    ]
    for op in ops:
        assert op(x).shape == (2, 8, 8 // stride, 8 // stride), op
    skip, zero = ops[-2], ops[-1]
    if stride == 1:
        assert skip(x) is x
    else:
        assert skip.downsample is not None
    assert zero(x).abs().sum() == 0
    # odd sizes are padded by the factorized reduction
    assert DartsSkipConnect(8, 8, 2)(torch.rand(1, 8, 5, 5)).shape == \
        (1, 8, 3, 3)
    # separable conv: 2 x (dw + pw) convs, dilated conv: 1 x (dw + pw)
    convs = [m for m in ops[4].modules() if isinstance(m, torch.nn.Conv2d)]
    assert len(convs) == 4 and convs[0].groups == 8
    dil = [m for m in ops[2].modules() if isinstance(m, torch.nn.Conv2d)][0]
    assert dil.dilation == (2, 2) and dil.padding == (2, 2)


def test_darts_ops_errors_and_drop_path():
    with pytest.raises(ValueError, match='pool_type'):
        DartsPoolBN(4, 4, pool_type='min')
    with pytest.raises(ValueError, match='in_channels 4 != out_channels 8'):
        DartsSkipConnect(4, 8, 1)
    with pytest.raises(ValueError, match='stride'):
        DartsSepConv(4, 4, stride=3)
    with pytest.raises(ValueError, match='drop_path_rate'):
        DartsSepConv(4, 4, use_drop_path=True, drop_path_rate=1.0)
    x = torch.ones(1000, 1, 1, 1)
    torch.manual_seed(0)
    dropped = drop_path(x, 0.2, training=True)
    kept = (dropped > 0).float().mean().item()
    assert 0.75 < kept < 0.85
    assert torch.allclose(dropped[dropped > 0], torch.full((1, ), 1.25))
    assert torch.equal(drop_path(x, 0.2, training=False), x)
    op = DartsSepConv(4, 4, use_drop_path=True, drop_path_rate=0.5).eval()
    y = torch.rand(2, 4, 4, 4)
    assert torch.equal(op(y), op.conv2(op.conv1(y)))


def test_darts_backbone_structure_and_aliases():
    backbone = MODELS.build(
        _supernet_backbone(
            in_channels=1,
            base_channels=4,
            num_layers=3,
            num_nodes=2,
            out_indices=(1, 2)))
    assert isinstance(backbone, DartsBackbone)
    assert [c.reduction for c in backbone.cells] == [False, True, True]
    routes = [m for m in backbone.modules() if isinstance(m, DiffChoiceRoute)]
    edges = [m for m in backbone.modules() if isinstance(m, DiffMutableOP)]
    # 3 cells x 2 nodes; edges 2 + 3 per cell
    assert len(routes) == 6 and len(edges) == 15
    assert sorted({r.alias
                   for r in routes
                   }) == ['normal_n2', 'normal_n3', 'reduce_n2', 'reduce_n3']
    assert 'reduce_n3_p2' in {e.alias for e in edges}
    # reduction cells: stride 2 on the edges from the cell inputs only
    red = backbone.cells[1].nodes[1].route
    strides = [
        e._candidates['sep_conv_3x3'].stride for e in red._candidates.values()
    ]
    assert strides == [2, 2, 1]
    outs = backbone(torch.rand(2, 1, 16, 16))
    assert [o.shape for o in outs] == [(2, 16, 8, 8), (2, 32, 4, 4)]
    assert backbone.out_channels == [8, 16, 32]


def test_darts_backbone_auxiliary_and_errors():
    backbone = MODELS.build(
        _supernet_backbone(
            base_channels=4,
            num_layers=3,
            num_nodes=2,
            out_indices=(2, ),
            auxliary=True,
            aux_channels=8,
            aux_out_channels=12))
    x = torch.rand(2, 3, 32, 32)
    outs = backbone.train()(x)
    assert [o.shape for o in outs] == [(2, 12, 1, 1), (2, 32, 8, 8)]
    assert len(backbone.eval()(x)) == 1
    with pytest.raises(ValueError, match='aux_channels'):
        MODELS.build(_supernet_backbone(auxliary=True))
    with pytest.raises(ValueError, match='out_indices'):
        MODELS.build(_supernet_backbone(num_layers=3, out_indices=(3, )))
    with pytest.raises(TypeError, match='mutable_cfg'):
        DartsBackbone(3, 4, mutable_cfg=None, route_cfg=dict(type='x'))


def test_darts_subnet_head_aux_loss_and_predict():
    from mmrazor.utils.mmcls_compat import ClsDataSample
    torch.manual_seed(0)
    head = DartsSubnetClsHead(
        num_classes=3,
        in_channels=4,
        aux_in_channels=5,
        aux_loss=dict(type='CrossEntropyLoss', loss_weight=0.4),
        topk=(1, 2),
        cal_acc=True)
    samples = [ClsDataSample().set_gt_label(i % 3) for i in range(4)]
    main, aux = torch.rand(4, 4), torch.rand(4, 5)
    losses = head.loss((aux, main), samples)
    target = torch.tensor([0, 1, 2, 0])
    ce = torch.nn.functional.cross_entropy
    assert torch.allclose(losses['loss'], ce(head.fc(main), target))
    assert torch.allclose(losses['loss_aux'],
                          0.4 * ce(head.aux_linear(aux), target))
    assert 0 <= float(losses['accuracy_top-1']) <= 100
    assert float(losses['accuracy_top-2']) >= float(losses['accuracy_top-1'])
    # without the auxiliary feature (eval) only the main loss
    assert set(head.loss(
        (main, ), samples)) == {'loss', 'accuracy_top-1', 'accuracy_top-2'}
    preds = head.predict((main, ))
    assert len(preds) == 4
    assert torch.equal(preds[0].pred_label, head.fc(main)[0].argmax().view(1))
    with pytest.raises(TypeError, match='aux_loss'):
        DartsSubnetClsHead(3, 4, aux_in_channels=5, aux_loss='ce')


def _count(model, shape):
    from mmengine.analysis import FlopAnalyzer, parameter_count
    model.eval()
    flops = FlopAnalyzer(model, (torch.rand(*shape), ))
    flops.unsupported_ops_warnings(False).uncalled_modules_warnings(False)
    return parameter_count(model)[''], flops.total()


@pytest.mark.slow
@pytest.mark.parametrize(
    'config, params, flops',
    [('darts_subnet_1xb96_cifar10_2.0.py', 3.42, 0.48),
     ('darts_subnet_1xb96_cifar10_2.0_paper.py', 3.83, 0.55)])
def test_darts_paper_table(config, params, flops):
    """Params (with the auxiliary head, as the README counts them) and
    FLOPs (multiply-adds, 1x3x32x32, eval mode) within 3 %."""
    import mmpretrain.registry  # noqa: F401
    cfg = Config.fromfile(osp.join(DARTS_DIR, config))
    model = MODELS.build(cfg.model)
    assert not any(
        getattr(m, 'is_fixed', True) is False for m in model.modules())
    n_params, n_flops = _count(model, (1, 3, 32, 32))
    assert abs(n_params / 1e6 - params) / params < 0.03
    assert abs(n_flops / 1e9 - flops) / flops < 0.03
