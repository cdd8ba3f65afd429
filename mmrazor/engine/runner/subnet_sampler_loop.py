# Copyright (c) OpenMMLab. All rights reserved.
"""Supernet training loops that choose the subnet of every iteration."""
import contextlib
import json
import math
import os.path as osp
import random
from abc import abstractmethod
from typing import Any, Dict, Iterator, List, Optional, Sequence, Union

import torch
from mmengine.dist import all_reduce, broadcast_object_list
from mmengine.evaluator import Evaluator
from mmengine.model import is_model_wrapper
from mmengine.runner import IterBasedTrainLoop
from torch.utils.data import DataLoader

from mmrazor.registry import LOOPS, TASK_UTILS
from mmrazor.utils import atomic_open
from .utils import check_subnet_resources

_SCHEDULES = ('linear', 'consine', 'cosine')


@contextlib.contextmanager
def fixed_sampling(mutator, subnet: Dict):
    """While active, ``mutator.sample_choices()`` returns ``subnet``: the
    algorithm's ``loss`` (which samples a subnet itself, e.g. SPOS or
    Autoformer) trains the subnet the loop chose."""
    mutator.sample_choices = lambda kind='random': dict(subnet)
    try:
        yield
    finally:
        del mutator.sample_choices


class BaseSamplerTrainLoop(IterBasedTrainLoop):
    """Iteration-based supernet training where the loop chooses the subnet
    of every iteration (:meth:`sample_subnet`) and trains it with
    ``model.train_step``.

    Args:
        runner (Runner): The runner.
        dataloader (DataLoader | dict): The training data.
        max_iters (int): Total training iterations.
        val_begin (int): First iteration that may run validation.
        val_interval (int): Validation interval.
        dynamic_intervals (list, optional): As ``IterBasedTrainLoop``.
    """

    def __init__(self,
                 runner,
                 dataloader: Union[DataLoader, Dict],
                 max_iters: int,
                 val_begin: int = 1,
                 val_interval: int = 1000,
                 dynamic_intervals: Optional[List] = None) -> None:
        super().__init__(runner, dataloader, max_iters, val_begin,
                         val_interval, dynamic_intervals)
        model = runner.model.module if is_model_wrapper(runner.model) \
            else runner.model
        if getattr(model, 'mutator', None) is None:
            raise AttributeError(
                f'{type(self).__name__} needs an algorithm with a `mutator` '
                f'(e.g. SPOS, Autoformer); {type(model).__name__} has none')
        self.model = model

    @abstractmethod
    def sample_subnet(self, data_batch: Sequence[dict]) -> Dict:
        """The subnet (``{group_key: choice}``) to train this iteration."""

    def run_iter(self, data_batch: Sequence[dict]) -> None:
        """Train the sampled subnet on one batch."""
        self.runner.call_hook(
            'before_train_iter', batch_idx=self._iter, data_batch=data_batch)
        subnet = self.sample_subnet(data_batch)
        self.runner.model.train()
        self.model.mutator.set_choices(subnet)
        with fixed_sampling(self.model.mutator, subnet):
            outputs = self.runner.model.train_step(
                data_batch, optim_wrapper=self.runner.optim_wrapper)
        self.after_subnet_trained()
        self.runner.call_hook(
            'after_train_iter',
            batch_idx=self._iter,
            data_batch=data_batch,
            outputs=outputs)
        self._iter += 1

    def after_subnet_trained(self) -> None:
        """Called after the train step of every iteration."""


@LOOPS.register_module()
class GreedySamplerTrainLoop(BaseSamplerTrainLoop):
    """GreedyNAS-style supernet training (`GreedyNAS
    <https://arxiv.org/abs/2003.11236>`_).

    Every iteration:

    1. ``num_samples`` subnets are drawn: each one comes from the candidate
       pool with probability ``p`` (when the pool is not empty), otherwise
       it is a random subnet of the supernet that meets
       ``constraints_range``. ``p`` grows from ``init_prob`` to ``max_prob``
       between ``schedule_start_iter`` and ``schedule_end_iter``
       (``prob_schedule`` ``'linear'`` or ``'cosine'``, also spelt
       ``'consine'``).
    2. Each is scored (``score_key`` of ``evaluator``) on the same batch of
       ``dataloader_val``; the scores are averaged over the ranks.
    3. The ``top_k`` best enter the candidate pool (a subnet already there
       gets its new score); the pool keeps the ``num_candidates`` best.
    4. One of the ``top_k`` (uniformly) is trained on the training batch.

    The pool is written after every iteration to
    ``{work_dir}/greedy_sampler_candidates.json`` (JSON: the iteration,
    ``p`` and every candidate with its score), atomically. A run resumed
    from a checkpoint (``--resume``) reloads it, so no candidate found
    before an interruption is lost.

    Args:
        runner (Runner): The runner.
        dataloader (DataLoader | dict): The training data.
        dataloader_val (DataLoader | dict): The data to score subnets on.
        evaluator (Evaluator | dict | list): Computes the score.
        max_iters (int): Total training iterations.
        val_begin (int): First iteration that may run validation.
            Defaults to 1.
        val_interval (int): Validation interval. Defaults to 1000.
        score_key (str): The metric used as score (higher is better).
            Defaults to ``'accuracy/top1'``.
        constraints_range (dict): Resource constraints of the random
            subnets, ``{flops|params|latency: (min, max)}``. Defaults to
            ``dict(flops=(0, 330))``.
        estimator_cfg (dict, optional): The resource estimator. Defaults to
            ``dict(type='mmrazor.ResourceEstimator')``.
        num_candidates (int): Size of the candidate pool. Defaults to 1000.
        num_samples (int): Subnets drawn per iteration. Defaults to 10.
        top_k (int): Subnets kept per iteration. Defaults to 5.
        prob_schedule (str): ``'linear'`` or ``'cosine'``.
        schedule_start_iter (int): Iteration where ``p`` starts to grow.
            Defaults to 10000.
        schedule_end_iter (int): Iteration where ``p`` reaches
            ``max_prob``. Defaults to 144360.
        init_prob (float): ``p`` before the schedule. Defaults to 0.
        max_prob (float): ``p`` after the schedule. Defaults to 0.8.
        dynamic_intervals (list, optional): As ``IterBasedTrainLoop``.
    """

    state_file = 'greedy_sampler_candidates.json'

    def __init__(self,
                 runner,
                 dataloader: Union[DataLoader, Dict],
                 dataloader_val: Union[DataLoader, Dict],
                 evaluator: Union[Evaluator, Dict, List],
                 max_iters: int,
                 val_begin: int = 1,
                 val_interval: int = 1000,
                 score_key: str = 'accuracy/top1',
                 constraints_range: Optional[Dict[str,
                                                  Any]] = dict(flops=(0, 330)),
                 estimator_cfg: Optional[Dict] = None,
                 num_candidates: int = 1000,
                 num_samples: int = 10,
                 top_k: int = 5,
                 prob_schedule: str = 'linear',
                 schedule_start_iter: int = 10000,
                 schedule_end_iter: int = 144360,
                 init_prob: float = 0.,
                 max_prob: float = 0.8,
                 dynamic_intervals: Optional[List] = None) -> None:
        super().__init__(runner, dataloader, max_iters, val_begin,
                         val_interval, dynamic_intervals)
        name = type(self).__name__
        if prob_schedule not in _SCHEDULES:
            raise ValueError(f'{name}: prob_schedule must be one of '
                             f"('linear', 'cosine'), got {prob_schedule!r}")
        if not 0. <= init_prob <= max_prob <= 1.:
            raise ValueError(f'{name}: need 0 <= init_prob <= max_prob <= 1,'
                             f' got init_prob={init_prob}, '
                             f'max_prob={max_prob}')
        if schedule_end_iter <= schedule_start_iter:
            raise ValueError(f'{name}: schedule_end_iter '
                             f'({schedule_end_iter}) must be greater than '
                             f'schedule_start_iter ({schedule_start_iter})')
        if not 0 < top_k <= num_samples:
            raise ValueError(f'{name}: need 0 < top_k <= num_samples, got '
                             f'top_k={top_k}, num_samples={num_samples}')
        if num_candidates < top_k:
            raise ValueError(f'{name}: num_candidates ({num_candidates}) '
                             f'must be >= top_k ({top_k})')
        if isinstance(dataloader_val, dict):
            dataloader_val = runner.build_dataloader(
                dataloader_val, seed=runner.seed)
        self.dataloader_val = dataloader_val
        self._val_iterator: Optional[Iterator] = None
        if isinstance(evaluator, (dict, list)):
            evaluator = runner.build_evaluator(evaluator)
        self.evaluator = evaluator
        if hasattr(dataloader_val.dataset, 'metainfo'):
            self.evaluator.dataset_meta = dataloader_val.dataset.metainfo
        self.score_key = score_key
        self.constraints_range = constraints_range
        self.estimator = TASK_UTILS.build(
            estimator_cfg or dict(type='mmrazor.ResourceEstimator'))
        self.num_candidates = num_candidates
        self.num_samples = num_samples
        self.top_k = top_k
        self.prob_schedule = prob_schedule
        self.schedule_start_iter = schedule_start_iter
        self.schedule_end_iter = schedule_end_iter
        self.init_prob = init_prob
        self.max_prob = max_prob
        self.cur_prob = init_prob
        # json.dumps(subnet, sort_keys=True) -> {'subnet', 'score', 'iter'}
        self.candidates: Dict[str, Dict] = dict()

    # -- schedule ----------------------------------------------------------
    def get_cur_prob(self, cur_iter: int) -> float:
        """The probability to draw from the pool at ``cur_iter``."""
        if cur_iter <= self.schedule_start_iter:
            return self.init_prob
        if cur_iter >= self.schedule_end_iter:
            return self.max_prob
        t = (cur_iter - self.schedule_start_iter) / (
            self.schedule_end_iter - self.schedule_start_iter)
        if self.prob_schedule != 'linear':
            t = (1 - math.cos(math.pi * t)) / 2
        return self.init_prob + (self.max_prob - self.init_prob) * t

    # -- state -------------------------------------------------------------
    @property
    def state_path(self) -> str:
        """Where the candidate pool is written."""
        return osp.join(self.runner.work_dir, self.state_file)

    def state_dict(self) -> Dict:
        """The pool as plain JSON data."""
        return dict(
            iter=self._iter,
            cur_prob=self.cur_prob,
            candidates=list(self.candidates.values()))

    def load_state_dict(self, state: Dict) -> None:
        """Restore the pool written by :meth:`state_dict`."""
        if not isinstance(state, dict) or not isinstance(
                state.get('candidates'), list):
            raise ValueError(f'{self.state_path}: not a candidate pool of '
                             f'{type(self).__name__} (no `candidates` list)')
        self.candidates = dict()
        for item in state['candidates']:
            if not isinstance(item, dict) or \
                    not {'subnet', 'score'} <= set(item):
                raise ValueError(f'{self.state_path}: every candidate needs '
                                 f'`subnet` and `score`, got {item!r}')
            self.candidates[self._key(item['subnet'])] = dict(item)

    def save_state(self) -> None:
        """Write the pool (rank 0, atomically)."""
        from mmengine.dist import is_main_process
        if not is_main_process():
            return
        with atomic_open(self.state_path, 'w') as f:
            json.dump(self.state_dict(), f, indent=1)

    def run(self) -> torch.nn.Module:
        """Reload the pool when the run is resumed, then train."""
        if self._iter > 0 and osp.isfile(self.state_path):
            with open(self.state_path) as f:
                self.load_state_dict(json.load(f))
            self.runner.logger.info(
                f'{type(self).__name__}: resumed {len(self.candidates)} '
                f'candidates from {self.state_path}')
        return super().run()

    def after_subnet_trained(self) -> None:
        """Write the pool after every iteration."""
        self.save_state()

    # -- sampling ----------------------------------------------------------
    @staticmethod
    def _key(subnet: Dict) -> str:
        return json.dumps(subnet, sort_keys=True)

    @staticmethod
    def _broadcast(obj: Any) -> Any:
        objs = [obj]
        broadcast_object_list(objs)
        return objs[0]

    def _random_subnet(self) -> Dict:
        tries = 0
        while True:
            subnet = self.model.mutator.sample_choices()
            ok, _ = check_subnet_resources(self.model, subnet, self.estimator,
                                           self.constraints_range)
            if ok:
                return subnet
            tries += 1
            if tries >= 1000:
                raise RuntimeError(
                    f'{type(self).__name__}: no random subnet met '
                    f'constraints_range={self.constraints_range} in 1000 '
                    'draws; widen the constraints')

    def _next_val_batch(self) -> Sequence[dict]:
        if self._val_iterator is None:
            self._val_iterator = iter(self.dataloader_val)
        try:
            return next(self._val_iterator)
        except StopIteration:
            self._val_iterator = iter(self.dataloader_val)
            return next(self._val_iterator)

    @torch.no_grad()
    def _score(self, subnet: Dict, data_batch: Sequence[dict]) -> float:
        self.model.mutator.set_choices(subnet)
        self.runner.model.eval()
        outputs = self.runner.model.val_step(data_batch)
        self.evaluator.process(data_samples=outputs, data_batch=data_batch)
        metrics = self.evaluator.evaluate(len(outputs))
        if self.score_key not in metrics:
            raise KeyError(f'{type(self).__name__}: score_key '
                           f'{self.score_key!r} is not computed by the '
                           f'evaluator; available: {sorted(metrics)}')
        return float(metrics[self.score_key])

    def sample_subnet(self, data_batch: Sequence[dict]) -> Dict:
        """Draw, score and rank ``num_samples`` subnets; update the pool;
        return one of the ``top_k`` best."""
        self.cur_prob = self.get_cur_prob(self._iter)
        pool = [c['subnet'] for c in self.candidates.values()]
        samples, from_pool = [], 0
        for _ in range(self.num_samples):
            if pool and random.random() < self.cur_prob:
                subnet, from_pool = random.choice(pool), from_pool + 1
            else:
                subnet = self._random_subnet()
            samples.append(self._broadcast(subnet))
        val_batch = self._next_val_batch()
        scores = torch.tensor([self._score(s, val_batch) for s in samples],
                              dtype=torch.float64)
        all_reduce(scores, op='mean')
        order = sorted(range(len(samples)), key=lambda i: -float(scores[i]))
        top = [(samples[i], float(scores[i])) for i in order[:self.top_k]]
        for subnet, score in top:
            self.candidates[self._key(subnet)] = dict(
                subnet=subnet, score=score, iter=self._iter)
        ranked = sorted(
            self.candidates.items(), key=lambda kv: -kv[1]['score'])
        self.candidates = dict(ranked[:self.num_candidates])
        hub = self.runner.message_hub
        hub.update_scalar('train/greedy_prob', self.cur_prob)
        hub.update_scalar('train/greedy_from_pool', from_pool)
        hub.update_scalar('train/greedy_top_score', top[0][1])
        return self._broadcast(random.choice(top)[0])
