# Copyright (c) OpenMMLab. All rights reserved.
"""The non-finite loss guard of BaseAlgorithm.parse_losses, per family."""
import mmpretrain.registry  # noqa: F401,I001
import copy
import os.path as osp

import pytest
import torch
import torch.nn as nn
from mmengine.logging import MessageHub
from mmengine.model import BaseModel
from mmengine.optim import OptimWrapper
from torch.utils.data import DataLoader, Dataset

from mmrazor.engine.hooks import NonFiniteLossHook
from mmrazor.models import BaseAlgorithm
from mmrazor.models.algorithms.loss_guard import NonFiniteLossError

NAN = float('nan')


class Net(BaseModel):
    """A linear model whose loss turns NaN from ``nan_from`` calls on."""

    def __init__(self, nan_from=None):
        super().__init__()
        self.fc = nn.Linear(4, 2)
        self.calls = 0
        self.nan_from = nan_from

    def forward(self, inputs, data_samples=None, mode='tensor'):
        out = self.fc(inputs)
        if mode != 'loss':
            return out
        self.calls += 1
        loss = out.pow(2).mean()
        if self.nan_from is not None and self.calls >= self.nan_from:
            loss = loss * NAN
        return dict(loss_mse=loss, acc=torch.tensor(NAN))


def optim(model):
    return OptimWrapper(
        torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9))


@pytest.fixture
def hub():
    MessageHub._instance_dict.pop('test_loss_guard', None)
    hub = MessageHub.get_instance('test_loss_guard')  # the current one
    hub.update_info('iter', 6)
    hub.update_info('last_ckpt', 'work_dir/iter_5.pth')
    yield hub
    hub.update_info('iter', None)
    hub.update_info('last_ckpt', None)


def test_finite_losses_pass_and_non_loss_keys_are_ignored():
    algo = BaseAlgorithm(Net())
    loss, log_vars = algo.parse_losses(
        dict(loss_a=torch.tensor(1.), acc=torch.tensor(NAN)))
    assert float(loss) == 1.
    assert 'nonfinite_skipped' not in log_vars


def test_raise_names_key_iteration_and_checkpoint(hub):
    algo = BaseAlgorithm(Net(nan_from=1))
    before = copy.deepcopy(algo.state_dict())
    with pytest.raises(NonFiniteLossError) as info:
        algo.train_step(dict(inputs=torch.ones(2, 4)), optim(algo))
    msg = str(info.value)
    assert 'loss_mse=nan' in msg
    assert 'iteration 7' in msg
    assert 'work_dir/iter_5.pth' in msg
    assert 'NonFiniteLossHook' in msg  # how to skip instead
    for k, v in algo.state_dict().items():  # nothing was updated
        assert torch.equal(v, before[k])


def test_infinite_and_list_losses():
    algo = BaseAlgorithm(Net())
    with pytest.raises(NonFiniteLossError, match=r'loss_b=inf'):
        algo.parse_losses(
            dict(
                loss_a=torch.tensor(1.),
                loss_b=[torch.tensor(1.),
                        torch.tensor(float('inf'))]))


def test_skip_updates_nothing_and_counts(hub):
    algo = BaseAlgorithm(Net(nan_from=2))
    algo.non_finite_loss = 'skip'
    wrapper = optim(algo)
    log = algo.train_step(dict(inputs=torch.ones(2, 4)), wrapper)
    assert float(log['nonfinite_skipped']) == 0
    after_good = copy.deepcopy(algo.state_dict())
    for expected in (1, 2):
        log = algo.train_step(dict(inputs=torch.ones(2, 4)), wrapper)
        assert float(log['nonfinite_skipped']) == expected
        assert 'loss' not in log  # no NaN reaches the logged averages
    # the parameters and the momentum did not move on skipped steps
    for k, v in algo.state_dict().items():
        assert torch.equal(v, after_good[k]), k
    assert algo.non_finite_skipped == 2


def test_bad_action_is_named():
    algo = BaseAlgorithm(Net())
    algo.non_finite_loss = 'ignore'
    with pytest.raises(ValueError, match="non_finite_loss.*'ignore'"):
        algo.parse_losses(dict(loss=torch.tensor(1.)))
    with pytest.raises(ValueError, match='action'):
        NonFiniteLossHook(action='ignore')


# --- one case per algorithm family -------------------------------------


def _classifier(base=4, in_channels=1, num_stages=4):
    return dict(
        type='mmcls.ImageClassifier',
        data_preprocessor=dict(
            type='mmcls.ClsDataPreprocessor',
            num_classes=3,
            mean=[0.] * in_channels,
            std=[1.] * in_channels,
            to_rgb=False),
        backbone=dict(
            type='mmcls.ResNet_CIFAR',
            depth=18,
            in_channels=in_channels,
            stem_channels=base,
            base_channels=base,
            num_stages=num_stages,
            out_indices=(num_stages - 1, ),
            strides=(1, 2, 2, 2)[:num_stages],
            dilations=(1, 1, 1, 1)[:num_stages]),
        neck=dict(type='mmcls.GlobalAveragePooling'),
        head=dict(
            type='mmcls.LinearClsHead',
            num_classes=3,
            in_channels=base * 2**(num_stages - 1),
            loss=dict(type='mmcls.CrossEntropyLoss')))


def _batch(n=2, size=8, value=None):
    from mmpretrain.structures import DataSample
    inputs = torch.rand(n, 1, size, size)
    if value is not None:
        inputs.fill_(value)
    return dict(
        inputs=inputs,
        data_samples=[DataSample().set_gt_label(i % 3) for i in range(n)])


def test_distill_loss_key_is_named(hub):
    from mmrazor.registry import MODELS
    cfg = dict(
        type='mmrazor.SingleTeacherDistill',
        architecture=_classifier(),
        teacher=_classifier(),
        distiller=dict(
            type='ConfigurableDistiller',
            student_recorders=dict(
                feat=dict(type='ModuleOutputs', source='backbone.layer4')),
            teacher_recorders=dict(
                feat=dict(type='ModuleOutputs', source='backbone.layer4')),
            distill_losses=dict(
                loss_cwd=dict(type='ChannelWiseDivergence', tau=1.)),
            loss_forward_mappings=dict(
                loss_cwd=dict(
                    preds_S=dict(from_student=True, recorder='feat'),
                    preds_T=dict(from_student=False, recorder='feat')))))
    algo = MODELS.build(cfg)
    with torch.no_grad():  # a diverged teacher
        algo.teacher.backbone.conv1.weight.fill_(NAN)
    with pytest.raises(NonFiniteLossError) as info:
        algo.train_step(_batch(), optim(algo))
    msg = str(info.value)
    assert 'SingleTeacherDistill' in msg and 'distill.loss_cwd=nan' in msg
    assert 'loss_cls' not in msg  # the student's own loss is finite


def test_nas_spos(hub):
    from mmrazor.models import SPOS
    from mmrazor.models.mutables import OneShotMutableOP

    class Supernet(BaseModel):

        def __init__(self):
            super().__init__()
            self.op = OneShotMutableOP(
                nn.ModuleDict({
                    'a': nn.Conv2d(3, 4, 1),
                    'b': nn.Conv2d(3, 4, 3, padding=1)
                }))

        def forward(self, inputs, data_samples=None, mode='tensor'):
            out = self.op(inputs)
            return dict(loss=out.mean()) if mode == 'loss' else out

    algo = SPOS(Supernet())
    inputs = torch.rand(2, 3, 4, 4)
    inputs[0, 0, 0, 0] = NAN
    with pytest.raises(NonFiniteLossError, match=r'SPOS.*loss=nan'):
        algo.train_step(dict(inputs=inputs), optim(algo))


def test_pruning_ite_prune(hub):
    from mmrazor.models.algorithms.pruning import ItePruneAlgorithm
    mutator = dict(
        type='ChannelMutator',
        channel_unit_cfg=dict(
            type='L1MutableChannelUnit',
            default_args=dict(choice_mode='ratio')),
        parse_cfg=dict(
            type='ChannelAnalyzer',
            demo_input=dict(
                type='DefaultDemoInput',
                input_shape=(1, 1, 8, 8),
                scope='mmcls')))
    algo = ItePruneAlgorithm(_classifier(num_stages=2), mutator_cfg=mutator)
    with pytest.raises(
            NonFiniteLossError, match=r'ItePruneAlgorithm.*loss=nan'):
        algo.train_step(_batch(value=NAN), optim(algo))


def test_quantization_qat(hub):
    from mmrazor.registry import MODELS
    from mmrazor.testing import TOY_SKIPPED_METHODS, toy_global_qconfig
    algo = MODELS.build(
        dict(
            type='mmrazor.MMArchitectureQuant',
            architecture=dict(type='mmrazor.ToyQuantClassifier'),
            input_shapes=(1, 1, 8, 8),
            quantizer=dict(
                type='mmrazor.OpenVINOQuantizer',
                global_qconfig=toy_global_qconfig(False),
                tracer=dict(
                    type='mmrazor.CustomTracer',
                    skipped_methods=TOY_SKIPPED_METHODS))))
    algo.train()
    from mmengine.structures import BaseDataElement
    samples = [BaseDataElement(gt_label=torch.tensor(i)) for i in range(2)]
    inputs = torch.full((2, 1, 8, 8), float('inf'))
    with pytest.raises(NonFiniteLossError, match=r'MMArchitectureQuant'):
        algo.train_step(dict(inputs=inputs, data_samples=samples), optim(algo))


# --- through a runner: iteration, checkpoint, skip hook ----------------


class Ones(Dataset):

    def __len__(self):
        return 8

    def __getitem__(self, i):
        return dict(inputs=torch.ones(4))


def _runner(work_dir, nan_from, hooks=()):
    from mmengine.runner import Runner
    return Runner(
        model=BaseAlgorithm(Net(nan_from=nan_from)),
        work_dir=str(work_dir),
        train_dataloader=DataLoader(Ones(), batch_size=2),
        train_cfg=dict(by_epoch=False, max_iters=6),
        optim_wrapper=dict(optimizer=dict(type='SGD', lr=0.01)),
        default_hooks=dict(
            checkpoint=dict(type='CheckpointHook', interval=2, by_epoch=False),
            logger=dict(type='LoggerHook', interval=1)),
        custom_hooks=list(hooks),
        log_level='INFO')


def test_runner_stops_with_iteration_and_checkpoint(tmp_path):
    runner = _runner(tmp_path, nan_from=5)
    with pytest.raises(NonFiniteLossError) as info:
        runner.train()
    msg = str(info.value)
    assert 'loss_mse=nan at iteration 5' in msg
    assert osp.join(str(tmp_path), 'iter_4.pth') in msg
    assert not osp.exists(osp.join(str(tmp_path), 'iter_6.pth'))


def test_runner_skip_hook_counts_in_the_log(tmp_path):
    runner = _runner(
        tmp_path,
        nan_from=5,
        hooks=[dict(type='mmrazor.NonFiniteLossHook', action='skip')])
    runner.train()
    assert runner.iter == 6
    assert runner.model.non_finite_skipped == 2
    hub = runner.message_hub
    assert hub.get_scalar('train/nonfinite_skipped').current() == 2
    log = open(osp.join(runner.log_dir, f'{runner.timestamp}.log')).read()
    assert 'Step skipped (2 skipped so far)' in log
    assert 'nonfinite_skipped: 2.0' in log  # the count, not an average
    assert '2 training steps skipped for a non-finite loss' in log


def test_runner_max_skips(tmp_path):
    runner = _runner(
        tmp_path,
        nan_from=4,
        hooks=[
            dict(type='mmrazor.NonFiniteLossHook', action='skip', max_skips=1)
        ])
    with pytest.raises(NonFiniteLossError, match='max_skips=1'):
        runner.train()
