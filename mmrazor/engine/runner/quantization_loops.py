# Copyright (c) OpenMMLab. All rights reserved.
"""Loops of quantization: PTQ calibration, QAT and LSQ training, QAT
validation."""
import os
import os.path as osp
from typing import Dict, List, Optional, Sequence, Tuple, Union

import torch
import torch.distributed as dist
from mmengine.evaluator import Evaluator
from mmengine.logging import print_log
from mmengine.model import is_model_wrapper
from mmengine.runner import EpochBasedTrainLoop, TestLoop, ValLoop
from mmengine.runner.amp import autocast
from mmengine.runner.checkpoint import get_state_dict, weights_to_cpu
from torch.utils.data import DataLoader

from mmrazor.models.fake_quants import (LearnableFakeQuantize,
                                        enable_param_learning,
                                        enable_static_estimate, enable_val,
                                        register_torch_fake_quants)
from mmrazor.models.observers import register_torch_observers
from mmrazor.registry import LOOPS
from mmrazor.structures.quantization.torch_ao import (FakeQuantizeBase,
                                                      disable_observer,
                                                      enable_fake_quant,
                                                      enable_observer,
                                                      freeze_bn_stats)
from mmrazor.utils import atomic_write
from mmrazor.utils.config_dict import as_config_dict

TORCH_observers = register_torch_observers()
TORCH_fake_quants = register_torch_fake_quants()


def _unwrap(model: torch.nn.Module) -> torch.nn.Module:
    return model.module if is_model_wrapper(model) else model


@LOOPS.register_module()
class QATEpochBasedLoop(EpochBasedTrainLoop):
    """Epoch-based QAT loop.

    Each epoch enables fake quantization, enables the observers until
    ``disable_observer_begin`` and freezes the BN statistics from
    ``freeze_bn_begin`` (both 1-based epochs, -1 = never). After each epoch
    the 'loss' graph's qparams are copied to the other graphs and the model
    is set for validation (fake-quant on, observers off).

    Args:
        runner (Runner): The runner.
        dataloader (DataLoader | dict): Training data.
        max_epochs (int): Epochs.
        val_begin (int): First validating epoch. Defaults to 1.
        val_interval (int): Validation interval. Defaults to 1.
        disable_observer_begin (int): Defaults to -1.
        freeze_bn_begin (int): Defaults to -1.
        dynamic_intervals (list, optional): As in EpochBasedTrainLoop.
    """

    def __init__(
            self,
            runner,
            dataloader: Union[DataLoader, Dict],
            max_epochs: int,
            val_begin: int = 1,
            val_interval: int = 1,
            disable_observer_begin: int = -1,
            freeze_bn_begin: int = -1,
            dynamic_intervals: Optional[List[Tuple[int, int]]] = None) -> None:
        super().__init__(runner, dataloader, max_epochs, val_begin,
                         val_interval, dynamic_intervals)
        self.disable_observer_begin = disable_observer_begin
        self.freeze_bn_begin = freeze_bn_begin

    @property
    def model(self) -> torch.nn.Module:
        return self.runner.model

    def prepare_for_run_epoch(self) -> None:
        """Toggle fake-quants, observers and BN for the coming epoch."""
        model = self.runner.model
        model.apply(enable_fake_quant)
        epoch = self._epoch + 1
        if 0 < self.disable_observer_begin <= epoch:
            model.apply(disable_observer)
        else:
            model.apply(enable_observer)
        if 0 < self.freeze_bn_begin <= epoch:
            model.apply(freeze_bn_stats)

    def prepare_for_val(self) -> None:
        """Fake quantization on, observers off."""
        self.runner.model.apply(enable_fake_quant)
        self.runner.model.apply(disable_observer)

    def run(self) -> torch.nn.Module:
        """Launch training."""
        self.runner.call_hook('before_train')
        while self._epoch < self._max_epochs and not self.stop_training:
            self.prepare_for_run_epoch()
            self.run_epoch()
            self._decide_current_val_interval()
            if (self.runner.val_loop is not None
                    and self._epoch >= self.val_begin
                    and (self._epoch % self.val_interval == 0
                         or self._epoch == self._max_epochs)):
                self.runner.val_loop.run()
        self.runner.call_hook('after_train')
        return self.runner.model

    def _train_batches(self) -> None:
        for idx, data_batch in enumerate(self.dataloader):
            self.run_iter(idx, data_batch)

    def run_epoch(self) -> None:
        """Train one epoch, then sync the qparams from the 'loss' graph
        (before ``after_train_epoch``, so checkpoints hold synced
        qparams)."""
        self.runner.call_hook('before_train_epoch')
        self.runner.model.train()
        self._train_batches()
        self.runner.model.sync_qparams(src_mode='loss')
        self.prepare_for_val()
        self.runner.call_hook('after_train_epoch')
        self._epoch += 1


@LOOPS.register_module()
class LSQEpochBasedLoop(QATEpochBasedLoop):
    """QAT loop for LSQ (learned step size).

    The very first batch initialises the qparams with the observers
    (``enable_static_estimate``; the LSQ observers all-reduce their scale,
    and the learnable parameters are averaged across ranks); every later
    batch learns them (``enable_param_learning``); validation uses fixed
    qparams (``enable_val``).
    """

    def __init__(
            self,
            runner,
            dataloader: Union[DataLoader, Dict],
            max_epochs: int,
            val_begin: int = 1,
            val_interval: int = 1,
            freeze_bn_begin: int = -1,
            dynamic_intervals: Optional[List[Tuple[int, int]]] = None) -> None:
        super().__init__(
            runner,
            dataloader,
            max_epochs,
            val_begin,
            val_interval,
            freeze_bn_begin=freeze_bn_begin,
            dynamic_intervals=dynamic_intervals)
        self.is_first_batch = True

    def prepare_for_run_epoch(self) -> None:
        """Learn the qparams; freeze BN from ``freeze_bn_begin``."""
        model = self.runner.model
        model.apply(enable_param_learning)
        if 0 < self.freeze_bn_begin <= self._epoch + 1:
            model.apply(freeze_bn_stats)

    def prepare_for_val(self) -> None:
        """Fixed qparams."""
        self.runner.model.apply(enable_val)

    @staticmethod
    def _all_reduce_lsq_params(model: torch.nn.Module) -> None:
        if not (dist.is_available() and dist.is_initialized()
                and dist.get_world_size() > 1):
            return
        world = dist.get_world_size()
        for module in model.modules():
            if isinstance(module, LearnableFakeQuantize):
                for param in (module.scale, module.zero_point):
                    dist.all_reduce(param.data)
                    param.data.div_(world)

    def _train_batches(self) -> None:
        model = self.runner.model
        for idx, data_batch in enumerate(self.dataloader):
            if self.is_first_batch:
                model.apply(enable_static_estimate)
            self.run_iter(idx, data_batch)
            if self.is_first_batch:
                self._all_reduce_lsq_params(model)
                model.apply(enable_param_learning)
                self.is_first_batch = False


@LOOPS.register_module()
class QATValLoop(ValLoop):
    """Validate the quantized model (``qat.*`` metrics) and the float
    ``architecture`` (``original.*`` metrics).

    Args:
        runner (Runner): The runner.
        dataloader (DataLoader | dict): Validation data.
        evaluator (Evaluator | dict | list): The evaluator.
        fp16 (bool): Autocast. Defaults to False.
    """

    def __init__(self,
                 runner,
                 dataloader: Union[DataLoader, Dict],
                 evaluator: Union[Evaluator, Dict, List],
                 fp16: bool = False) -> None:
        super().__init__(runner, dataloader, evaluator, fp16)
        model = _unwrap(self.runner.model)
        if not hasattr(model, 'architecture'):
            raise AttributeError(
                'QATValLoop needs a model with an `architecture` (e.g. '
                f'MMArchitectureQuant), got {type(model).__name__}')

    def run(self) -> dict:
        """Launch validation."""
        self.runner.call_hook('before_val')
        self.runner.call_hook('before_val_epoch')
        self.runner.model.eval()
        for idx, data_batch in enumerate(self.dataloader):
            self.run_iter(idx, data_batch, self.runner.model)
        qat_metrics = self.evaluator.evaluate(len(self.dataloader.dataset))
        metrics = {f'qat.{k}': v for k, v in qat_metrics.items()}
        algorithm = _unwrap(self.runner.model)
        algorithm.architecture.eval()
        for idx, data_batch in enumerate(self.dataloader):
            self.run_iter(idx, data_batch, algorithm, float_model=True)
        float_metrics = self.evaluator.evaluate(len(self.dataloader.dataset))
        metrics.update({f'original.{k}': v for k, v in float_metrics.items()})
        self.runner.call_hook('after_val_epoch', metrics=metrics)
        self.runner.call_hook('after_val')
        return metrics

    @torch.no_grad()
    def run_iter(self,
                 idx,
                 data_batch: Sequence[dict],
                 model: torch.nn.Module,
                 float_model: bool = False) -> None:
        """Run one batch through ``model`` (its float ``architecture``
        with the algorithm's data preprocessor if ``float_model``)."""
        self.runner.call_hook(
            'before_val_iter', batch_idx=idx, data_batch=data_batch)
        with autocast(enabled=self.fp16):
            if float_model:
                data = model.data_preprocessor(data_batch, False)
                outputs = model.architecture(**data, mode='predict')
            else:
                outputs = model.val_step(data_batch)
        self.evaluator.process(data_samples=outputs, data_batch=data_batch)
        self.runner.call_hook(
            'after_val_iter',
            batch_idx=idx,
            data_batch=data_batch,
            outputs=outputs)


@LOOPS.register_module()
class PTQLoop(TestLoop):
    """Post-training quantization: calibrate, save, evaluate.

    Unless ``only_val``: observers and fake-quants on, ``calibrate_steps``
    batches of ``calibrate_dataloader`` through ``model.calibrate_step``,
    observers off, qparams synced from 'predict', checkpoint written to
    ``{work_dir}/{timestamp}/model_ptq.pth``. Then the test set is
    evaluated with fake quantization.

    Args:
        runner (Runner): The runner.
        dataloader (DataLoader | dict): Test data.
        evaluator (Evaluator | dict | list): The evaluator.
        calibrate_dataloader (DataLoader | dict): Calibration data.
        calibrate_steps (int): Calibration batches. Defaults to 32.
        fp16 (bool): Autocast. Defaults to False.
        only_val (bool): Skip calibration (e.g. evaluating a saved PTQ
            checkpoint with ``tools/test.py``). Defaults to False.
    """

    def __init__(self,
                 runner,
                 dataloader: Union[DataLoader, Dict],
                 evaluator: Union[Evaluator, Dict, List],
                 calibrate_dataloader: Union[DataLoader, Dict],
                 calibrate_steps: int = 32,
                 fp16: bool = False,
                 only_val: bool = False) -> None:
        super().__init__(runner, dataloader, evaluator, fp16)
        if not isinstance(calibrate_steps, int) or calibrate_steps < 1:
            raise ValueError('PTQLoop: calibrate_steps must be a positive '
                             f'int, got {calibrate_steps!r}')
        calibrate_dataloader = as_config_dict(calibrate_dataloader)
        if isinstance(calibrate_dataloader, dict):
            diff_rank_seed = runner._randomness_cfg.get(
                'diff_rank_seed', False)
            self.calibrate_dataloader = runner.build_dataloader(
                calibrate_dataloader,
                seed=runner.seed,
                diff_rank_seed=diff_rank_seed)
        else:
            self.calibrate_dataloader = calibrate_dataloader
        self.calibrate_steps = calibrate_steps
        self.only_val = only_val
        self.checkpoint_path: Optional[str] = None

    def run(self) -> dict:
        """Launch PTQ (calibration unless ``only_val``) and the test."""
        self.runner.call_hook('before_test')
        self.runner.call_hook('before_test_epoch')
        model = self.runner.model
        model.eval()
        if not self.only_val:
            model.apply(enable_fake_quant)
            model.apply(enable_observer)
            print_log(
                f'PTQ: calibrating on {self.calibrate_steps} batches',
                logger='current')
            for idx, data_batch in enumerate(self.calibrate_dataloader):
                if idx >= self.calibrate_steps:
                    break
                self.run_calibrate_iter(idx, data_batch)
            model.apply(disable_observer)
            self._broadcast_qparams(model)
            model.sync_qparams(src_mode='predict')
            self.checkpoint_path = self.save_ptq_checkpoint()
            print_log(
                f'PTQ: checkpoint saved to {self.checkpoint_path}',
                logger='current')
        model.apply(enable_fake_quant)
        model.apply(disable_observer)
        for idx, data_batch in enumerate(self.dataloader):
            self.run_iter(idx, data_batch)
        metrics = self.evaluator.evaluate(len(self.dataloader.dataset))
        self.runner.call_hook('after_test_epoch', metrics=metrics)
        self.runner.call_hook('after_test')
        return metrics

    @staticmethod
    def _broadcast_qparams(model: torch.nn.Module) -> None:
        """Give every rank rank 0's calibrated qparams (each rank saw a
        different shard of the calibration data)."""
        if not (dist.is_available() and dist.is_initialized()
                and dist.get_world_size() > 1):
            return
        for module in _unwrap(model).modules():
            if isinstance(module, FakeQuantizeBase):
                for tensor in list(module.parameters(recurse=False)) + list(
                        module.buffers(recurse=False)):
                    dist.broadcast(tensor.data, 0)
                inner = getattr(module, 'activation_post_process', None)
                if inner is not None:
                    for tensor in inner.buffers():
                        dist.broadcast(tensor.data, 0)

    @torch.no_grad()
    def run_calibrate_iter(self, idx, data_batch: Sequence[dict]) -> None:
        """One calibration batch."""
        self.runner.model.calibrate_step(data_batch)

    def save_ptq_checkpoint(self) -> Optional[str]:
        """Write ``{work_dir}/{timestamp}/model_ptq.pth`` (rank 0) with a
        plain ``{'meta', 'state_dict'}`` content, atomically."""
        out_dir = osp.join(self.runner.work_dir, self.runner.timestamp)
        path = osp.join(out_dir, 'model_ptq.pth')
        if dist.is_available() and dist.is_initialized() and \
                dist.get_rank() != 0:
            return path
        os.makedirs(out_dir, exist_ok=True)
        checkpoint = dict(
            meta=dict(
                ptq=True,
                calibrate_steps=self.calibrate_steps,
                experiment_name=str(self.runner.experiment_name)),
            state_dict=weights_to_cpu(get_state_dict(self.runner.model)))
        atomic_write(path, lambda tmp: torch.save(checkpoint, tmp))
        return path
