# Copyright (c) OpenMMLab. All rights reserved.
import copy
import os
import os.path as osp
from pathlib import Path
from typing import Optional, Union

from mmengine.dist import master_only
from mmengine.hooks import Hook
from mmengine.model import is_model_wrapper

from mmrazor.registry import HOOKS
from mmrazor.structures.subnet import dump_fix_subnet, export_fix_subnet

DATA_BATCH = Optional[Union[dict, tuple, list]]


@HOOKS.register_module()
class DumpSubnetHook(Hook):
    """Dump the subnet of a randomly sampled path periodically.

    On a deep copy of the model it calls
    ``mutator.set_choices(mutator.sample_choices())`` and writes
    ``convert_fix_subnet(export_fix_subnet(architecture))`` as
    ``subnet_epoch_{n}.yaml`` / ``subnet_iter_{n}.yaml``.

    Args:
        interval (int): The saving period; -1 never saves periodically.
            Defaults to -1.
        by_epoch (bool): Save by epochs or by iterations. Defaults to True.
        out_dir (str, optional): Directory to save to; defaults to the
            work dir.
        max_keep_subnets (int): Keep the latest ``max_keep_subnets`` files;
            -1 keeps all. Defaults to -1.
        save_last (bool): Save the last subnet at the end of training.
            Defaults to True.
        file_client_args (dict, optional): Unused, kept for compatibility.
    """

    priority = 'VERY_LOW'

    def __init__(self,
                 interval: int = -1,
                 by_epoch: bool = True,
                 out_dir: Optional[Union[str, Path]] = None,
                 max_keep_subnets: int = -1,
                 save_last: bool = True,
                 file_client_args: Optional[dict] = None,
                 **kwargs) -> None:
        self.interval = interval
        self.by_epoch = by_epoch
        self.out_dir = out_dir
        self.max_keep_subnets = max_keep_subnets
        self.save_last = save_last
        self.args = kwargs
        self.saved = []

    def before_train(self, runner) -> None:
        """Resolve the output directory."""
        self.out_dir = str(self.out_dir or runner.work_dir)

    def after_train_epoch(self, runner) -> None:
        """Dump by epoch."""
        if not self.by_epoch:
            return
        if self.every_n_epochs(runner, self.interval) or (
                self.save_last and self.is_last_train_epoch(runner)):
            self._save_subnet(runner, f'subnet_epoch_{runner.epoch + 1}.yaml')

    def after_train_iter(self,
                         runner,
                         batch_idx: int,
                         data_batch: DATA_BATCH = None,
                         outputs: Optional[dict] = None) -> None:
        """Dump by iteration."""
        if self.by_epoch:
            return
        if self.every_n_train_iters(runner, self.interval) or (
                self.save_last and self.is_last_train_iter(runner)):
            self._save_subnet(runner, f'subnet_iter_{runner.iter + 1}.yaml')

    @master_only
    def _save_subnet(self, runner, name: str) -> None:
        model = runner.model.module if is_model_wrapper(
            runner.model) else runner.model
        if not hasattr(model, 'mutator'):
            raise AttributeError('DumpSubnetHook needs a model with a '
                                 f'`mutator`, got {type(model).__name__}')
        copied = copy.deepcopy(model)
        copied.mutator.set_choices(copied.mutator.sample_choices())
        fix_subnet, _ = export_fix_subnet(
            getattr(copied, 'architecture', copied))
        path = osp.join(self.out_dir, name)
        dump_fix_subnet(fix_subnet, path)
        runner.logger.info(f'Subnet saved to {path}')
        if path not in self.saved:
            self.saved.append(path)
        if self.max_keep_subnets > 0:
            while len(self.saved) > self.max_keep_subnets:
                old = self.saved.pop(0)
                if osp.isfile(old):
                    os.remove(old)
