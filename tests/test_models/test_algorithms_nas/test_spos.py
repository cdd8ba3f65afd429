# Copyright (c) OpenMMLab. All rights reserved.
import pytest
import torch
import torch.nn as nn
from mmengine.model import BaseModel

from mmrazor.models import SPOS, NasMutator
from mmrazor.models.mutables import OneShotMutableOP


class ToySupernet(BaseModel):

    def __init__(self):
        super().__init__()
        self.op1 = OneShotMutableOP(
            nn.ModuleDict({
                'a': nn.Conv2d(3, 4, 1),
                'b': nn.Conv2d(3, 4, 3, padding=1)
            }))
        self.bn = nn.BatchNorm2d(4)
        self.op2 = OneShotMutableOP(
            nn.ModuleDict({
                'a': nn.Identity(),
                'b': nn.ReLU()
            }))

    def forward(self, inputs, data_samples=None, mode='tensor'):
        out = self.op2(self.bn(self.op1(inputs)))
        if mode == 'loss':
            return dict(loss=out.mean())
        return out


def test_spos_samples_a_path_per_step():
    algo = SPOS(ToySupernet())
    assert isinstance(algo.mutator, NasMutator)
    assert algo.is_supernet
    seen = set()
    for _ in range(30):
        losses = algo(torch.rand(2, 3, 4, 4), mode='loss')
        assert set(losses) == {'loss'}
        seen.add(tuple(algo.mutator.current_choices.values()))
    assert len(seen) == 4  # every path gets sampled
    assert algo(torch.rand(2, 3, 4, 4), mode='tensor').shape == (2, 4, 4, 4)


def test_spos_mutator_cfg_and_norm_training():
    algo = SPOS(
        ToySupernet(),
        mutator=dict(type='mmrazor.OneShotModuleMutator'),
        norm_training=True)
    assert list(algo.mutator.search_groups) == [0, 1]
    algo.eval()
    assert not algo.training and algo.architecture.bn.training
    algo2 = SPOS(ToySupernet())
    algo2.eval()
    assert not algo2.architecture.bn.training
    with pytest.raises(TypeError, match='mutator'):
        SPOS(ToySupernet(), mutator=3)


def test_spos_with_fixed_architecture_is_not_supernet():
    net = ToySupernet()
    net.op1.fix_chosen('a')
    net.op2.fix_chosen('b')
    algo = SPOS(net)
    assert not algo.is_supernet
    algo(torch.rand(1, 3, 4, 4), mode='loss')
    assert algo.mutator.current_choices == {'module_0': 'a', 'module_1': 'b'}
