# Copyright (c) OpenMMLab. All rights reserved.
"""Greedy channel slimming of an AutoSlim supernet."""
import json
import os.path as osp
from typing import Dict, List, Optional, Sequence, Union

import torch
from mmengine import fileio
from mmengine.dist import broadcast_object_list, is_main_process
from mmengine.evaluator import Evaluator
from mmengine.model import is_model_wrapper
from mmengine.runner import TestLoop, autocast
from torch.utils.data import DataLoader

from mmrazor.registry import LOOPS, TASK_UTILS
from mmrazor.structures.subnet import convert_fix_subnet
from mmrazor.utils import atomic_open, print_log

STATE_FILE = 'latest.json'
STATE_VERSION = 1


@LOOPS.register_module()
class AutoSlimGreedySearchLoop(TestLoop):
    """Greedy slimming (AutoSlim) of a trained slimmable supernet.

    Starting from the widest subnet, each step tries to narrow every unit
    by one candidate ("bin"), evaluates each try and keeps the best
    scoring one, until the FLOPs fall to the target; targets are taken in
    descending order, each continuing from the previous one. Outputs in
    the work dir:

    * ``FLOPS_{target:.2f}M.yaml``: ``{unit_name: {chosen: channels}}`` of
      the subnet found for each target;
    * ``slimmable_config.json``: the found subnets as the
      ``channel_unit_cfg.units`` of a ``SlimmableChannelMutator`` (the
      i-th candidate of each unit is its width in the i-th subnet,
      ascending FLOPs), for retraining or deploying them;
    * ``latest.json``: the search state (JSON, no pickle), written after
      every evaluation. ``resume_from`` continues from it without
      repeating any evaluation.

    Args:
        runner (Runner): The runner.
        dataloader (DataLoader | dict): Data to score subnets on.
        evaluator (Evaluator | dict | list): The evaluator.
        target_flops (Sequence[float]): FLOPs targets in MFLOPs.
        estimator_cfg (dict, optional): The resource estimator. Defaults
            to ``dict(type='mmrazor.ResourceEstimator')``.
        score_key (str): Metric used as score. Defaults to
            ``'accuracy/top1'``.
        resume_from (str, optional): A ``latest.json`` to resume.
        fp16 (bool): Evaluate with autocast. Defaults to False.
    """

    def __init__(self,
                 runner,
                 dataloader: Union[DataLoader, Dict],
                 evaluator: Union[Evaluator, Dict, List],
                 target_flops: Sequence[float],
                 estimator_cfg: Optional[Dict] = None,
                 score_key: str = 'accuracy/top1',
                 resume_from: Optional[str] = None,
                 fp16: bool = False) -> None:
        super().__init__(runner, dataloader, evaluator, fp16)
        if isinstance(target_flops, (int, float)):
            target_flops = [target_flops]
        targets = [float(t) for t in target_flops]
        if not targets or any(t <= 0 for t in targets):
            raise ValueError('target_flops must be positive MFLOPs, got '
                             f'{target_flops}')
        self.target_flops = sorted(targets, reverse=True)
        estimator_cfg = dict(estimator_cfg or dict())
        estimator_cfg.setdefault('type', 'mmrazor.ResourceEstimator')
        self.estimator = TASK_UTILS.build(estimator_cfg)
        self.score_key = score_key
        self.resume_from = resume_from
        model = self.runner.model
        self.model = model.module if is_model_wrapper(model) else model
        mutator = getattr(self.model, 'mutator', None)
        if mutator is None or not hasattr(type(mutator), 'min_choices'):
            raise TypeError(
                'AutoSlimGreedySearchLoop needs a model with a one-shot '
                'channel mutator (AutoSlim), got '
                f'{type(self.model).__name__}')
        self.units = {u.name: u for u in mutator.mutable_units}
        self.num_evaluations = 0
        self.state: Dict = dict()

    # state -------------------------------------------------------------------
    @property
    def state_path(self) -> str:
        return osp.join(self.runner.work_dir, STATE_FILE)

    def _new_state(self) -> Dict:
        subnet = {
            name: len(unit.candidate_choices) - 1
            for name, unit in self.units.items()
        }
        return dict(
            version=STATE_VERSION,
            target_flops=self.target_flops,
            current_subnet=subnet,
            current_flops=self._flops(subnet),
            current_score=None,
            step_scores=dict(),
            searched_subnet=[],
            searched_subnet_flops=[],
            searched_subnet_scores=[],
            num_evaluations=0)

    def _save_state(self) -> None:
        self.state['num_evaluations'] = self.num_evaluations
        if is_main_process():
            with atomic_open(self.state_path, 'w') as f:
                json.dump(self.state, f, indent=2)

    def _load_state(self, path: str) -> Dict:
        if not osp.isfile(path):
            raise FileNotFoundError(f'resume_from: {path} does not exist')
        if not path.endswith('.json'):
            raise ValueError(
                f'resume_from: {path} is not a JSON search state; the '
                'search state is saved as latest.json (pickles are not '
                'loaded)')
        with open(path) as f:
            state = json.load(f)
        missing = [
            k for k in ('current_subnet', 'current_flops', 'step_scores',
                        'searched_subnet', 'searched_subnet_flops')
            if k not in state
        ]
        if missing:
            raise KeyError(f'resume_from: {path} lacks {missing}')
        unknown = sorted(set(state['current_subnet']) ^ set(self.units))
        if unknown:
            raise KeyError(f'resume_from: {path} was written for other units: '
                           f'{unknown[:3]} differ from the model\'s')
        for name, index in state['current_subnet'].items():
            num = len(self.units[name].candidate_choices)
            if not 0 <= index < num:
                raise ValueError(
                    f'resume_from: unit {name} has bin {index}, but only '
                    f'{num} candidate choices')
        self.num_evaluations = int(state.get('num_evaluations', 0))
        return state

    # subnets -----------------------------------------------------------------
    def _choices(self, subnet: Dict[str, int]) -> Dict:
        return {
            name: self.units[name].candidate_choices[index]
            for name, index in subnet.items()
        }

    def _set(self, subnet: Dict[str, int]) -> None:
        self.model.mutator.set_choices(self._choices(subnet))

    def _flops(self, subnet: Dict[str, int]) -> float:
        self._set(subnet)
        architecture = getattr(self.model, 'architecture', self.model)
        training = architecture.training
        result = self.estimator.estimate(model=architecture)
        architecture.train(training)
        return float(result['flops'])

    @torch.no_grad()
    def _score(self, subnet: Dict[str, int]) -> float:
        self._set(subnet)
        self.runner.model.eval()
        for data_batch in self.dataloader:
            with autocast(enabled=self.fp16):
                outputs = self.runner.model.val_step(data_batch)
            self.evaluator.process(data_samples=outputs, data_batch=data_batch)
        metrics = self.evaluator.evaluate(len(self.dataloader.dataset))
        if self.score_key not in metrics:
            raise KeyError(f'score_key {self.score_key!r} is not a metric of '
                           f'the evaluator; available: {sorted(metrics)}')
        self.num_evaluations += 1
        score = [float(metrics[self.score_key])]
        broadcast_object_list(score)
        return score[0]

    # search ------------------------------------------------------------------
    def run(self) -> Dict:
        """Search a subnet for every target; returns ``{target: flops}``."""
        self.runner.call_hook('before_test')
        self.runner.call_hook('before_test_epoch')
        if self.resume_from:
            self.state = self._load_state(self.resume_from)
            print_log(
                f'resumed the greedy search from {self.resume_from}: '
                f'{len(self.state["searched_subnet"])} targets done, '
                f'{self.state["current_flops"]:.2f} MFLOPs now',
                logger='current')
        else:
            self.state = self._new_state()
            self._save_state()
        min_subnet = {name: 0 for name in self.units}
        min_flops = self._flops(min_subnet)
        if min_flops > self.target_flops[-1]:
            raise ValueError(
                f'target_flops {self.target_flops[-1]} MFLOPs can not be '
                f'met: the narrowest subnet has {min_flops:.2f} MFLOPs')
        for index, target in enumerate(self.target_flops):
            if index < len(self.state['searched_subnet']):
                continue  # found before the resume
            self._search_target(target)
        self._save_slimmable_config()
        metrics = {
            f'FLOPS_{t:.2f}M': s
            for t, s in zip(self.target_flops,
                            self.state['searched_subnet_scores'])
        }
        self.runner.call_hook('after_test_epoch', metrics=metrics)
        self.runner.call_hook('after_test')
        return metrics

    def _search_target(self, target: float) -> None:
        state = self.state
        while state['current_flops'] > target:
            current = state['current_subnet']
            for name, index in current.items():
                if index == 0 or name in state['step_scores']:
                    continue
                candidate = dict(current)
                candidate[name] = index - 1
                state['step_scores'][name] = self._score(candidate)
                self._save_state()
            best = max(state['step_scores'].items(), key=lambda kv: kv[1])
            current = dict(current)
            current[best[0]] -= 1
            state['current_subnet'] = current
            state['current_score'] = best[1]
            state['current_flops'] = self._flops(current)
            state['step_scores'] = dict()
            self._save_state()
            print_log(
                f'greedy step: narrowed {best[0]} (score {best[1]:.2f}), '
                f'now {state["current_flops"]:.2f} MFLOPs', 'current')
        if state['current_score'] is None:
            state['current_score'] = self._score(state['current_subnet'])
        state['searched_subnet'].append(dict(state['current_subnet']))
        state['searched_subnet_flops'].append(state['current_flops'])
        state['searched_subnet_scores'].append(state['current_score'])
        self._save_subnet_yaml(target, state['current_subnet'])
        self._save_state()
        print_log(
            f'target {target:.2f} MFLOPs: subnet of '
            f'{state["current_flops"]:.2f} MFLOPs, {self.score_key} '
            f'{state["current_score"]:.2f}', 'current')

    def _channels(self, subnet: Dict[str, int]) -> Dict[str, int]:
        return {
            name: self.units[name]._get_valid_int_choice(choice)
            for name, choice in self._choices(subnet).items()
        }

    def _save_subnet_yaml(self, target: float, subnet: Dict[str, int]) -> None:
        if not is_main_process():
            return
        fix_subnet = convert_fix_subnet(self._channels(subnet))
        path = osp.join(self.runner.work_dir, f'FLOPS_{target:.2f}M.yaml')
        with atomic_open(path, 'w') as f:
            f.write(fileio.dump(fix_subnet, file_format='yaml'))
        print_log(f'subnet for {target:.2f} MFLOPs saved to {path}', 'current')

    def _save_slimmable_config(self) -> None:
        if not is_main_process():
            return
        found = [self._channels(s) for s in self.state['searched_subnet']]
        order = sorted(
            range(len(found)),
            key=lambda i: self.state['searched_subnet_flops'][i])
        units = {}
        for name, unit in self.units.items():
            choices = [found[i][name] for i in order]
            units[name] = dict(
                init_args=dict(
                    num_channels=unit.num_channels,
                    divisor=1,
                    min_value=1,
                    min_ratio=0.9,
                    candidate_choices=choices,
                    choice_mode='number'),
                choice=choices[-1])
        path = osp.join(self.runner.work_dir, 'slimmable_config.json')
        with atomic_open(path, 'w') as f:
            json.dump(units, f, indent=4)
