# Copyright (c) OpenMMLab. All rights reserved.
# mmpretrain first: works around the foundation's MODEL_WRAPPERS iteration
# issue in the first `init_weights` of a process (see the report).
import mmpretrain.registry  # noqa: F401,I001
import itertools
import os.path as osp

import numpy as np
import pytest
import torch.nn as nn

from mmrazor.models.mutables import OneShotMutableOP
from mmrazor.models.mutators import NasMutator
from mmrazor.models.task_modules import MetricPredictor
from mmrazor.registry import TASK_UTILS


class Net(nn.Module):

    def __init__(self):
        super().__init__()
        for i in range(3):
            setattr(
                self, f'op{i}',
                OneShotMutableOP(
                    nn.ModuleDict({
                        'a': nn.Identity(),
                        'b': nn.ReLU(),
                        'c': nn.Tanh()
                    })))


def _space():
    net = Net()
    mutator = NasMutator()
    mutator.prepare_from_supernet(net)
    net.mutator = mutator
    subnets = [
        dict(zip(mutator.search_groups, combo))
        for combo in itertools.product('abc', repeat=3)
    ]
    # a smooth score: 'c' is good, 'a' is bad
    value = {'a': 0., 'b': 1., 'c': 2.}
    scores = [sum(value[v] for v in s.values()) for s in subnets]
    return net, mutator, subnets, scores


@pytest.mark.parametrize('handler', [
    dict(type='mmrazor.CartsHandler', num_trees=20),
    dict(type='mmrazor.GaussProcessHandler'),
    dict(type='mmrazor.RBFHandler'),
    dict(
        type='mmrazor.MLPHandler',
        epochs=150,
        data_split_ratio=1.0,
        model_cfg=dict(mid_channels=32, num_layers=2)),
])
def test_handlers_learn_the_ranking(handler, tmp_path):
    net, mutator, subnets, scores = _space()
    predictor = TASK_UTILS.build(
        dict(
            type='mmrazor.MetricPredictor',
            handler_cfg=handler,
            search_groups=mutator.search_groups,
            train_samples=20,
            score_key='accuracy/top1'))
    if handler['type'] == 'mmrazor.RBFHandler':
        assert predictor.encoding_type == 'normal'
    with pytest.raises(RuntimeError, match='not fitted'):
        predictor.predict(net)
    predictor.fit(subnets[::2], scores[::2])
    preds = [predictor.predict(s)['accuracy/top1'] for s in subnets]
    rmse, rho, tau = predictor.get_correlation(
        np.array(preds), np.array(scores))
    assert rho > 0.8, (rmse, rho, tau)
    mutator.set_choices(subnets[-1])
    assert predictor.predict(net)['accuracy/top1'] > preds[0]
    path = predictor.save_checkpoint(str(tmp_path / 'pred'))
    assert osp.isfile(path)
    other = MetricPredictor(handler, mutator.search_groups, handler_ckpt=path)
    other.load_checkpoint()
    assert np.isclose(other.predict(subnets[3])['accuracy_top-1'], preds[3])


def test_encoding_roundtrip_and_errors():
    _, mutator, subnets, _ = _space()
    for enc in ('onehot', 'normal'):
        p = MetricPredictor(
            dict(type='mmrazor.CartsHandler', num_trees=2),
            mutator.search_groups,
            encoding_type=enc)
        vec = p.model2vector(subnets[5])
        assert len(vec) == (9 if enc == 'onehot' else 3)
        assert p.vector2model(vec) == subnets[5]
    with pytest.raises(ValueError, match='encoding_type'):
        MetricPredictor(
            dict(type='mmrazor.CartsHandler'),
            mutator.search_groups,
            encoding_type='x')
    with pytest.raises(KeyError, match='lacks group'):
        p.model2vector({})
    with pytest.raises(FileNotFoundError):
        p.load_checkpoint('/nonexistent.joblib')
