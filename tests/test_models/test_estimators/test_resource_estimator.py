# Copyright (c) OpenMMLab. All rights reserved.
import doctest
import io

import pytest
import torch.nn as nn

import mmrazor.models.task_modules.estimators.resource_estimator as rmod
from mmrazor.models.mutables import OneShotMutableOP
from mmrazor.models.task_modules import (ResourceEstimator, get_counter_type,
                                         get_model_flops_params,
                                         get_model_latency)
from mmrazor.registry import TASK_UTILS


class Net(nn.Module):

    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(3, 8, 3, padding=1)  # 8x8 output
        self.bn = nn.BatchNorm2d(8)
        self.relu = nn.ReLU()
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.fc = nn.Linear(8, 4)

    def forward(self, x):
        x = self.pool(self.relu(self.bn(self.conv(x))))
        return self.fc(x.flatten(1))


def test_exact_counts():
    flops, params = get_model_flops_params(
        Net(), input_shape=(1, 3, 8, 8), units=dict(flops=None, params=None))
    conv = 3 * 3 * 3 * 8 * 64 + 8 * 64
    bn = 2 * 8 * 64
    relu = 8 * 64
    pool = 8 * 64
    fc = 8 * 4 + 4
    assert flops == conv + bn + relu + pool + fc
    assert params == (3 * 3 * 3 * 8 + 8) + 16 + (8 * 4 + 4)
    # the batch size is averaged out
    flops2, _ = get_model_flops_params(
        Net(), input_shape=(4, 3, 8, 8), units=dict(flops=None, params=None))
    assert flops2 == flops


def test_units_strings_spec_modules_and_print():
    ost = io.StringIO()
    flops, params = get_model_flops_params(
        Net(),
        input_shape=(1, 3, 8, 8),
        units=dict(flops='K', params='K'),
        as_strings=True,
        print_per_layer_stat=True,
        ost=ost)
    assert flops.endswith('KFLOPs') and params.endswith('K')
    assert 'conv' in ost.getvalue()
    per_module = get_model_flops_params(
        Net(),
        input_shape=(1, 3, 8, 8),
        spec_modules=['conv', 'fc'],
        seperate_return=True,
        units=dict(flops=None, params=None))
    assert per_module['fc'] == dict(flops=36, params=36)
    with pytest.raises(KeyError, match='spec module'):
        get_model_flops_params(
            Net(), input_shape=(1, 3, 8, 8), spec_modules=['nope'])
    disabled, _ = get_model_flops_params(
        Net(),
        input_shape=(1, 3, 8, 8),
        units=dict(flops=None),
        disabled_counters=['Conv2dCounter'])
    assert disabled == 8 * 64 * 4 + 36


def test_counter_lookup_fallback_and_extension():

    class MyConv(nn.Conv2d):
        pass

    with pytest.warns(UserWarning, match='counting it as Conv2d'):
        assert get_counter_type(MyConv(1, 1, 1)).__name__ == 'Conv2dCounter'
    assert get_counter_type(nn.Sequential()) is None

    # the documented extension point: register `<Class>Counter`
    from mmrazor.models.task_modules.estimators.counters.op_counters \
        import BaseCounter

    class Twice(nn.Module):

        def forward(self, x):
            return x * 2

    @TASK_UTILS.register_module(force=True)
    class TwiceCounter(BaseCounter):

        @staticmethod
        def add_count_hook(module, input, output):
            module.__flops__ += output.numel()
            module.__params__ = 0

    flops, _ = get_model_flops_params(
        Twice(), input_shape=(1, 5), units=dict(flops=None))
    assert flops == 5


def test_only_the_sampled_path_is_counted():
    op = OneShotMutableOP(
        nn.ModuleDict({
            'small': nn.Conv2d(4, 4, 1, bias=False),
            'large': nn.Conv2d(4, 4, 3, padding=1, bias=False)
        }))
    est = ResourceEstimator(
        input_shape=(1, 4, 4, 4), units=dict(flops=None, params=None))
    op.current_choice = 'small'
    assert est.estimate(op)['flops'] == 16 * 16
    assert est.estimate(op)['params'] == 16
    op.current_choice = 'large'
    assert est.estimate(op)['params'] == 16 * 9


def test_estimator_api():
    result = doctest.testmod(rmod)
    assert result.failed == 0 and result.attempted > 0
    with pytest.raises(KeyError, match='Unknown keys'):
        ResourceEstimator(flops_params_cfg=dict(bad=1))
    est = ResourceEstimator(
        input_shape=(1, 3, 8, 8), latency_cfg=dict(max_iter=4, num_warmup=1))
    result = est.estimate(Net())
    assert result['latency'] > 0
    sep = est.estimate_separation_modules(Net(), dict(spec_modules=['conv']))
    assert set(sep) == {'conv'}
    with pytest.raises(ValueError, match='spec_modules'):
        est.estimate_separation_modules(Net())
    assert TASK_UTILS.build(dict(type='mmrazor.ResourceEstimator'))
    net = Net().train()
    assert get_model_latency(
        net, (1, 3, 8, 8), max_iter=3, num_warmup=1,
        as_strings=True).endswith('ms')
    assert net.training
    with pytest.raises(ValueError, match='num_warmup'):
        get_model_latency(net, (1, 3, 8, 8), max_iter=1, num_warmup=1)
