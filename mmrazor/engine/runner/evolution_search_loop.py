# Copyright (c) OpenMMLab. All rights reserved.
"""Evolutionary search over a trained one-shot supernet."""
import copy
import os
import os.path as osp
import random
import time
from typing import Any, Dict, List, Optional, Tuple, Union

import torch
from mmengine import fileio
from mmengine.dist import broadcast_object_list, is_main_process
from mmengine.evaluator import Evaluator
from mmengine.model import is_model_wrapper
from mmengine.runner import EpochBasedTrainLoop
from mmengine.runner.amp import autocast
from mmengine.utils import ProgressBar
from torch.utils.data import DataLoader

from mmrazor.registry import LOOPS, TASK_UTILS
from mmrazor.structures.subnet import (Candidates, convert_fix_subnet,
                                       export_fix_subnet)
from mmrazor.structures.subnet.candidate import subnet_from_str
from mmrazor.utils import atomic_write
from .utils import CalibrateBNMixin, check_subnet_resources, crossover
from .utils.search_state import (capture_rng_json, load_search_state,
                                 restore_rng_json, save_search_state)

STATE_FILE = 'search_state.json'


@LOOPS.register_module()
class EvolutionSearchLoop(EpochBasedTrainLoop, CalibrateBNMixin):
    """Loop for evolution searching.

    Every epoch fills the candidate pool with random subnets that satisfy
    the constraints, evaluates them (after BN recalibration, or with a
    predictor), keeps the top-k, and builds the next pool from mutations
    and crossovers of the top-k. The search state is JSON (no pickle):
    ``search_state.json`` is rewritten after every evaluated candidate and
    every epoch, ``search_epoch_{n}.json`` every epoch; resuming from
    either evaluates no finished candidate again and ends as the
    uninterrupted search would. At the end ``best_fix_subnet.yaml``, the
    sliced weights ``subnet_YYYYMMDD_HHMM.pth`` and ``search_results.png``
    (score against FLOPs of all evaluated candidates, Pareto front marked)
    are written to the work dir.

    Args:
        runner (Runner): A reference of runner.
        dataloader (DataLoader or dict): The dataloader to evaluate on.
        evaluator (Evaluator or dict or list): Used for computing metrics.
        max_epochs (int): Total searching epochs. Defaults to 20.
        max_keep_ckpts (int): The maximum checkpoints of searcher to keep.
            Defaults to 3.
        resume_from (str, optional): A saved search state
            (``search_state.json`` or ``search_epoch_{n}.json``) to resume
            from. A pickled ``.pkl`` state of older versions needs
            ``MMRAZOR_TRUST_CHECKPOINT=1``.
        num_candidates (int): The length of candidate pool. Defaults to 50.
        top_k (int): Specify top k candidates based on scores. Defaults to
            10.
        num_mutation (int): The number of candidates got by mutation.
            Defaults to 25.
        num_crossover (int): The number of candidates got by crossover.
            Defaults to 25.
        mutate_prob (float): The probability of mutation of each gene.
            Defaults to 0.1.
        crossover_prob (float): The probability of taking a gene from the
            second parent. Defaults to 0.5.
        calibrate_dataloader (DataLoader or dict, optional): Data for BN
            recalibration; defaults to the runner's train dataloader config.
        calibrate_sample_num (int): The number of images to recalibrate BN
            statistics; <= 0 disables it. Defaults to -1.
        constraints_range (dict): Constraints on the subnet resources,
            ``{flops|params|latency: (min, max)}``. Defaults to
            ``dict(flops=(0., 330.))``.
        estimator_cfg (dict, optional): Config of the resource estimator.
            Defaults to ``dict(type='mmrazor.ResourceEstimator')``.
        predictor_cfg (dict, optional): Config of a ``MetricPredictor`` that
            scores candidates instead of evaluating them. Defaults to None.
        score_key (str): The metric key used as score. Defaults to
            ``'accuracy/top1'``.
        init_candidates (str, optional): A JSON or YAML list of subnets
            (or of ``{str(subnet): info}`` items) to start the first pool
            with; a pickled ``Candidates`` needs
            ``MMRAZOR_TRUST_CHECKPOINT=1``. Defaults to None.
        fp16 (bool): Evaluate with automatic mixed precision. Defaults to
            False.
    """

    def __init__(self,
                 runner,
                 dataloader: Union[DataLoader, Dict],
                 evaluator: Union[Evaluator, Dict, List],
                 max_epochs: int = 20,
                 max_keep_ckpts: int = 3,
                 resume_from: Optional[str] = None,
                 num_candidates: int = 50,
                 top_k: int = 10,
                 num_mutation: int = 25,
                 num_crossover: int = 25,
                 mutate_prob: float = 0.1,
                 crossover_prob: float = 0.5,
                 calibrate_dataloader: Optional[Union[DataLoader,
                                                      Dict]] = None,
                 calibrate_sample_num: int = -1,
                 constraints_range: Dict[str, Any] = dict(flops=(0., 330.)),
                 estimator_cfg: Optional[Dict] = None,
                 predictor_cfg: Optional[Dict] = None,
                 score_key: str = 'accuracy/top1',
                 init_candidates: Optional[str] = None,
                 fp16: bool = False) -> None:
        super().__init__(runner, dataloader, max_epochs)
        if isinstance(evaluator, (dict, list)):
            self.evaluator = runner.build_evaluator(evaluator)
        else:
            self.evaluator = evaluator
        if hasattr(self.dataloader.dataset, 'metainfo'):
            self.evaluator.dataset_meta = self.dataloader.dataset.metainfo
        if top_k <= 0 or num_candidates < top_k:
            raise ValueError('Need 0 < top_k <= num_candidates, got '
                             f'top_k={top_k}, num_candidates='
                             f'{num_candidates}')
        if num_mutation + num_crossover > num_candidates:
            raise ValueError(
                'num_mutation + num_crossover must not exceed '
                f'num_candidates, got {num_mutation} + {num_crossover} > '
                f'{num_candidates}')
        for name, prob in (('mutate_prob', mutate_prob), ('crossover_prob',
                                                          crossover_prob)):
            if not 0 <= prob <= 1:
                raise ValueError(f'{name} must be in [0, 1], got {prob}')
        self.num_candidates = num_candidates
        self.top_k = top_k
        self.constraints_range = constraints_range
        self.calibrate_sample_num = calibrate_sample_num
        self._calibrate_dataloader = calibrate_dataloader
        self.score_key = score_key
        self.num_mutation = num_mutation
        self.num_crossover = num_crossover
        self.mutate_prob = mutate_prob
        self.crossover_prob = crossover_prob
        self.max_keep_ckpts = max_keep_ckpts
        self.resume_from = resume_from
        self.fp16 = fp16

        self.candidates = Candidates() if init_candidates is None else \
            self._load_init_candidates(init_candidates)
        self.top_k_candidates = Candidates()
        # every evaluated subnet: str(subnet) -> {'score', 'flops', ...}
        self.history: Dict[str, Dict] = dict()
        # the real evaluations the predictor is fitted on: [str, score]
        self._predictor_samples: List[List] = []

        if is_model_wrapper(self.runner.model):
            self.model = self.runner.model.module
        else:
            self.model = self.runner.model
        if not hasattr(self.model, 'mutator'):
            raise AttributeError(
                'EvolutionSearchLoop needs a model with a `mutator` (e.g. '
                f'SPOS), got {type(self.model).__name__}')

        if estimator_cfg is None:
            estimator_cfg = dict(type='mmrazor.ResourceEstimator')
        self.estimator = TASK_UTILS.build(estimator_cfg)
        self.use_predictor = predictor_cfg is not None
        if self.use_predictor:
            predictor_cfg = copy.deepcopy(predictor_cfg)
            predictor_cfg['search_groups'] = \
                self.model.mutator.search_groups
            predictor_cfg.setdefault('score_key', score_key)
            self.predictor = TASK_UTILS.build(predictor_cfg)

    # main flow
    def run(self) -> None:
        """Launch searching."""
        self.runner.call_hook('before_train')
        if self.resume_from:
            self._resume()
        if self.use_predictor and not self.predictor.initialize:
            self._init_predictor()
        while self._epoch < self._max_epochs:
            self.run_epoch()
            self._save_searcher_ckpt()
        self._save_best_fix_subnet()
        self.runner.call_hook('after_train')

    def run_epoch(self) -> None:
        """Iterate one epoch: sample, evaluate, select top-k, breed."""
        self.sample_candidates()
        self.update_candidates_scores()

        scores_before = self.top_k_candidates.scores
        self.top_k_candidates.extend(self.candidates)
        self.top_k_candidates = self._unique(self.top_k_candidates)
        self.top_k_candidates.sort_by(key_indicator='score', reverse=True)
        self.top_k_candidates = Candidates(
            self.top_k_candidates.data[:self.top_k])
        scores_after = self.top_k_candidates.scores
        self._log_epoch(scores_before, scores_after)

        mutation = self.gen_mutation_candidates()
        crossover_candidates = self.gen_crossover_candidates()
        next_pool = Candidates(mutation)
        next_pool.extend(crossover_candidates)
        self.candidates = next_pool
        self._epoch += 1

    def sample_candidates(self) -> None:
        """Fill the pool with random subnets satisfying the constraints."""
        known = {str(s) for s in self.candidates.subnets}
        attempts, max_attempts = 0, self.num_candidates * 50
        while len(self.candidates) < self.num_candidates:
            attempts += 1
            if attempts > max_attempts:
                raise RuntimeError(
                    f'Could only sample {len(self.candidates)} of '
                    f'{self.num_candidates} candidates within the '
                    f'constraints {self.constraints_range} after '
                    f'{max_attempts} attempts; relax constraints_range or '
                    'lower num_candidates.')
            candidate = self._broadcast(self.model.mutator.sample_choices())
            if str(candidate) in known and attempts < max_attempts // 2:
                continue
            is_pass, result = self._check_constraints(candidate)
            if is_pass:
                self.candidates.append(candidate)
                self.candidates.update_resources([self._resources(result)],
                                                 start=len(self.candidates) -
                                                 1)
                known.add(str(candidate))

    def update_candidates_scores(self) -> None:
        """Evaluate every candidate (cached for subnets seen before)."""
        progress = ProgressBar(len(self.candidates)) \
            if is_main_process() else None
        for i, candidate in enumerate(self.candidates.subnets):
            key = str(candidate)
            if key in self.history:
                score = self.history[key]['score']
                evaluated = False
            else:
                self.model.mutator.set_choices(candidate)
                metrics = self._val_candidate()
                if self.score_key not in metrics:
                    raise KeyError(
                        f'score_key {self.score_key!r} is not a metric of '
                        f'the evaluator; available: {sorted(metrics)}')
                score = round(float(metrics[self.score_key]), 4)
                evaluated = True
            self.candidates.set_score(i, score)
            info = list(self.candidates.data[i].values())[0]
            self.history[key] = dict(info)
            if evaluated and not self.use_predictor:
                self._save_state(osp.join(self.runner.work_dir, STATE_FILE))
            if progress is not None:
                progress.update()
        if progress is not None:
            print()

    def gen_mutation_candidates(self) -> List[Dict]:
        """Mutate random top-k candidates (each gene replaced by a fresh
        random sample with ``mutate_prob``); at most 10x retries."""
        candidates: List[Dict] = []
        for _ in range(self.num_mutation * 10):
            if len(candidates) >= self.num_mutation:
                break
            parent = random.choice(self.top_k_candidates.subnets)
            child = crossover(parent, self.model.mutator.sample_choices(),
                              self.mutate_prob)
            child = self._broadcast(child)
            is_pass, result = self._check_constraints(child)
            if is_pass:
                candidates.append(self._item(child, result))
        return candidates

    def gen_crossover_candidates(self) -> List[Dict]:
        """Cross pairs of random top-k candidates; at most 10x retries."""
        candidates: List[Dict] = []
        subnets = self.top_k_candidates.subnets
        for _ in range(self.num_crossover * 10):
            if len(candidates) >= self.num_crossover:
                break
            parent1 = random.choice(subnets)
            parent2 = random.choice(subnets)
            child = self._broadcast(
                crossover(parent1, parent2, self.crossover_prob))
            is_pass, result = self._check_constraints(child)
            if is_pass:
                candidates.append(self._item(child, result))
        return candidates

    # evaluation
    @torch.no_grad()
    def _val_candidate(self) -> Dict:
        """Evaluate the current subnet (or predict its score)."""
        if self.use_predictor:
            return self.predictor.predict(self.model)
        if self.calibrate_sample_num > 0:
            self.calibrate_bn_statistics(self.calibrate_dataloader,
                                         self.calibrate_sample_num)
        self.runner.model.eval()
        for data_batch in self.dataloader:
            with autocast(enabled=self.fp16):
                outputs = self.runner.model.val_step(data_batch)
            self.evaluator.process(data_samples=outputs, data_batch=data_batch)
        return self.evaluator.evaluate(len(self.dataloader.dataset))

    @property
    def calibrate_dataloader(self) -> DataLoader:
        """The dataloader of BN recalibration (built lazily)."""
        loader = self._calibrate_dataloader
        if loader is None:
            loader = getattr(self.runner, '_train_dataloader', None)
            if not isinstance(loader, (dict, DataLoader)):
                loader = self.dataloader
        if isinstance(loader, dict):
            loader = self.runner.build_dataloader(
                loader, seed=self.runner.seed)
        self._calibrate_dataloader = loader
        return loader

    def _check_constraints(self, subnet: Dict) -> Tuple[bool, Dict]:
        return check_subnet_resources(self.model, subnet, self.estimator,
                                      self.constraints_range)

    def _init_predictor(self) -> None:
        """Fit the predictor on ``train_samples`` evaluated subnets (or load
        its checkpoint)."""
        if self.predictor.handler_ckpt:
            self.predictor.load_checkpoint()
            self.runner.logger.info(
                f'Loaded predictor from {self.predictor.handler_ckpt}')
            return
        self.runner.logger.info(
            f'Fitting the predictor on {self.predictor.train_samples} '
            'evaluated subnets.')
        self.use_predictor = False
        try:
            while len(self._predictor_samples) < \
                    self.predictor.train_samples:
                subnet = self._broadcast(self.model.mutator.sample_choices())
                self.model.mutator.set_choices(subnet)
                metrics = self._val_candidate()
                self._predictor_samples.append(
                    [str(subnet), float(metrics[self.score_key])])
                self._save_state(osp.join(self.runner.work_dir, STATE_FILE))
        finally:
            self.use_predictor = True
        self._fit_predictor()
        path = osp.join(self.runner.work_dir, 'predictor')
        self.predictor.save_checkpoint(path)

    def _fit_predictor(self) -> None:
        """Fit the predictor on the recorded real evaluations."""
        self.predictor.fit(
            [subnet_from_str(s) for s, _ in self._predictor_samples],
            [score for _, score in self._predictor_samples])

    # bookkeeping
    @staticmethod
    def _resources(result: Dict) -> Dict:
        return {
            k: float(v)
            for k, v in result.items() if k in ('flops', 'params', 'latency')
        }

    def _item(self, subnet: Dict, result: Dict) -> Dict:
        info = dict(score=0.0, flops=0.0, params=0.0, latency=0.0)
        info.update(self._resources(result))
        return {str(subnet): info}

    @staticmethod
    def _unique(candidates: Candidates) -> Candidates:
        seen, kept = set(), []
        for item in candidates.data:
            key = list(item.keys())[0]
            if key not in seen:
                seen.add(key)
                kept.append(item)
        return Candidates(kept)

    @staticmethod
    def _broadcast(subnet: Dict) -> Dict:
        obj = [subnet]
        broadcast_object_list(obj)
        return obj[0]

    def _log_epoch(self, scores_before: List[float],
                   scores_after: List[float]) -> None:
        best = list(self.top_k_candidates.data[0].values())[0]
        constraints = ', '.join(
            f'{k}={best.get(k, 0.0):.3f} (range {v})'
            for k, v in (self.constraints_range or {}).items())
        self.runner.logger.info(
            f'Epoch:[{self._epoch + 1}/{self._max_epochs}] '
            f'Top-{self.top_k} scores before: {scores_before}; after: '
            f'{scores_after}; best score {best["score"]}, '
            f'{constraints or "no constraints"}; '
            f'evaluated {len(self.history)} subnets')
        self.runner.message_hub.update_scalar('search/best_score',
                                              best['score'])

    def _state(self) -> Dict[str, Any]:
        """The search state as JSON-safe data."""
        return dict(
            epoch=self._epoch,
            candidates=list(self.candidates.data),
            top_k_candidates=list(self.top_k_candidates.data),
            history=self.history,
            predictor_samples=self._predictor_samples,
            rng=capture_rng_json())

    def _save_state(self, path: str) -> None:
        if is_main_process():
            save_search_state(path, type(self).__name__, self._state())

    def _save_searcher_ckpt(self) -> None:
        """Save ``search_epoch_{n}.json`` (and ``search_state.json``) and
        drop the old epoch files."""
        if not is_main_process():
            return
        path = osp.join(self.runner.work_dir,
                        f'search_epoch_{self._epoch}.json')
        self._save_state(path)
        self._save_state(osp.join(self.runner.work_dir, STATE_FILE))
        self.runner.logger.info(f'Searcher state saved to {path}')
        if self.max_keep_ckpts > 0:
            old = self._epoch - self.max_keep_ckpts
            old_path = osp.join(self.runner.work_dir,
                                f'search_epoch_{old}.json')
            if old > 0 and osp.isfile(old_path):
                os.remove(old_path)

    def _resume(self) -> None:
        """Resume searching from ``resume_from``."""
        owner = type(self).__name__
        state = load_search_state(self.resume_from, owner)
        if self.resume_from.endswith('.pkl'):  # trusted legacy pickle
            state = self._from_legacy(state)
        missing = [
            k for k in ('epoch', 'candidates', 'top_k_candidates', 'history')
            if k not in state
        ]
        if missing:
            raise KeyError(f'{owner}: {self.resume_from} is not a searcher '
                           f'state: missing keys {missing}')
        self._epoch = int(state['epoch'])
        self.candidates = Candidates(state['candidates'])
        self.top_k_candidates = Candidates(state['top_k_candidates'])
        self.history = dict(state['history'])
        self._predictor_samples = [
            list(s) for s in state.get('predictor_samples', [])
        ]
        if self.use_predictor:
            if 'predictor_handler' in state:
                self.predictor.handler = state['predictor_handler']
                self.predictor.initialize = True
            elif self._predictor_samples and len(
                    self._predictor_samples) >= self.predictor.train_samples:
                self._fit_predictor()
        if state.get('rng') is not None:
            restore_rng_json(state['rng'])
        self.runner.logger.info(
            f'Resumed searching from {self.resume_from} at epoch '
            f'{self._epoch} with {len(self.candidates)} candidates, '
            f'{len(self.history)} evaluated subnets')

    @staticmethod
    def _from_legacy(state: Dict) -> Dict:
        """Convert a pickled state of older versions."""
        out = dict(state)
        if '_epoch' in out:
            out['epoch'] = out.pop('_epoch')
        for key in ('candidates', 'top_k_candidates'):
            if isinstance(out.get(key), Candidates):
                out[key] = list(out[key].data)
        out.setdefault('history', {})
        return out

    @staticmethod
    def _load_init_candidates(path: str) -> Candidates:
        """Read ``init_candidates`` (JSON/YAML, or a trusted pickle)."""
        owner = 'EvolutionSearchLoop'
        if path.endswith('.pkl'):
            from .checkpoint import (TRUST_ENV, UnsafeCheckpointError,
                                     checkpoint_trusted)
            if not checkpoint_trusted():
                raise UnsafeCheckpointError(
                    f'{owner}: init_candidates {path} is a pickle; '
                    'unpickling can run arbitrary code. Write the subnets '
                    f'as JSON or YAML, or set {TRUST_ENV}=1 if you trust '
                    'the file.')
            import pickle
            with open(path, 'rb') as f:
                data = pickle.load(f)
        else:
            if not osp.isfile(path):
                raise FileNotFoundError(
                    f'{owner}: init_candidates {path} does not exist')
            data = fileio.load(path)
        if isinstance(data, Candidates):
            return data
        if not isinstance(data, (list, dict)):
            raise TypeError(f'{owner}: init_candidates {path} must hold a '
                            'list of subnets, got '
                            f'{type(data).__name__}')
        return Candidates(data)

    def _save_best_fix_subnet(self) -> None:
        """Save ``best_fix_subnet.yaml``, the sliced weights and the plot."""
        if len(self.top_k_candidates) == 0:
            raise RuntimeError('No candidate was evaluated')
        best_subnet = self.top_k_candidates.subnets[0]
        self.model.mutator.set_choices(best_subnet)
        if self.calibrate_sample_num > 0:
            self.calibrate_bn_statistics(self.calibrate_dataloader,
                                         self.calibrate_sample_num)
        architecture = getattr(self.model, 'architecture', self.model)
        best_fix_subnet, sliced_model = export_fix_subnet(
            architecture, slice_weight=True)
        if not is_main_process():
            return
        work_dir = self.runner.work_dir
        subnet_yaml = convert_fix_subnet(best_fix_subnet)
        atomic_write(
            osp.join(work_dir, 'best_fix_subnet.yaml'),
            lambda tmp: fileio.dump(subnet_yaml, tmp, file_format='yaml'))
        timestamp = time.strftime('%Y%m%d_%H%M', time.localtime())
        ckpt_path = osp.join(work_dir, f'subnet_{timestamp}.pth')
        state_dict = sliced_model.state_dict()
        atomic_write(
            ckpt_path,
            lambda tmp: torch.save({
                'state_dict': state_dict,
                'meta': {}
            }, tmp))
        self.runner.logger.info(
            f'Search finished. Best subnet {best_subnet} '
            f'({self.top_k_candidates.data[0]}) saved to '
            f'{osp.join(work_dir, "best_fix_subnet.yaml")} and {ckpt_path}')
        try:
            from .utils.plot import plot_search_results
            plot_search_results(
                self.history,
                best_subnet,
                self.constraints_range,
                osp.join(work_dir, 'search_results.png'),
                unit=getattr(self.estimator, 'units', {}).get('flops'))
        except ImportError as e:  # matplotlib is optional
            self.runner.logger.warning(f'No search plot: {e}')
