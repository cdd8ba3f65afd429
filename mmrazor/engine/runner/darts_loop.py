# Copyright (c) OpenMMLab. All rights reserved.
"""Train loops of DARTS: two dataloaders (weights and architecture) zipped
into ``(supernet_batch, mutator_batch)`` pairs."""
import math
from typing import Dict, Iterator, List, Optional, Sequence, Tuple, Union

from mmengine.logging import print_log
from mmengine.runner import EpochBasedTrainLoop, IterBasedTrainLoop
from torch.utils.data import DataLoader

from mmrazor.registry import LOOPS


def _set_epoch(loader: DataLoader, epoch: int) -> None:
    for holder in (getattr(loader, 'sampler',
                           None), getattr(loader, 'batch_sampler', None)):
        if holder is not None and hasattr(holder, 'set_epoch'):
            holder.set_epoch(epoch)
            return


def _check_loader(loader, key: str) -> None:
    try:
        length = len(loader)
    except TypeError as e:
        raise TypeError(f'{key} of a DARTS loop must be a sized dataloader, '
                        f'got {type(loader).__name__}') from e
    if length == 0:
        raise ValueError(f'{key} of a DARTS loop is empty')


class EpochMultiLoader:
    """Zip several dataloaders for one epoch.

    An epoch is as long as the longest dataloader; a shorter one restarts
    (reshuffled) when exhausted. Every pass of a dataloader gets its own
    sampler epoch, ``epoch * passes_per_epoch + pass_index``, computed from
    the epoch alone, so that a resumed run sees the same batches as an
    uninterrupted one.

    Args:
        dataloaders (Sequence[DataLoader]): The dataloaders.
    """

    def __init__(self, dataloaders: Sequence[DataLoader]) -> None:
        self.dataloaders = list(dataloaders)
        self._epoch = 0

    def set_epoch(self, epoch: int) -> None:
        """Set the epoch the next iteration belongs to."""
        self._epoch = epoch

    def __len__(self) -> int:
        return max(len(loader) for loader in self.dataloaders)

    def _passes(self, loader: DataLoader) -> int:
        return math.ceil(len(self) / len(loader))

    def __iter__(self) -> Iterator[Tuple]:
        iterators: List[Iterator] = []
        pass_index = [0] * len(self.dataloaders)
        for loader in self.dataloaders:
            _set_epoch(loader, self._epoch * self._passes(loader))
            iterators.append(iter(loader))
        for _ in range(len(self)):
            batches = []
            for i, loader in enumerate(self.dataloaders):
                try:
                    batch = next(iterators[i])
                except StopIteration:
                    pass_index[i] += 1
                    _set_epoch(
                        loader,
                        self._epoch * self._passes(loader) + pass_index[i])
                    iterators[i] = iter(loader)
                    batch = next(iterators[i])
                batches.append(batch)
            yield tuple(batches)


class IterMultiLoader:
    """Endless iteration over several dataloaders zipped together; each one
    restarts (with the next sampler epoch) when exhausted.

    Args:
        dataloaders (Sequence[DataLoader]): The dataloaders.
    """

    def __init__(self, dataloaders: Sequence[DataLoader]) -> None:
        self.dataloaders = list(dataloaders)
        self._epochs = [0] * len(self.dataloaders)
        self._iterators: List[Optional[Iterator]] = [None] * len(
            self.dataloaders)

    def __len__(self) -> int:
        return max(len(loader) for loader in self.dataloaders)

    def __iter__(self) -> 'IterMultiLoader':
        return self

    def __next__(self) -> Tuple:
        batches = []
        for i, loader in enumerate(self.dataloaders):
            if self._iterators[i] is None:
                _set_epoch(loader, self._epochs[i])
                self._iterators[i] = iter(loader)
            try:
                batch = next(self._iterators[i])
            except StopIteration:
                self._epochs[i] += 1
                _set_epoch(loader, self._epochs[i])
                self._iterators[i] = iter(loader)
                batch = next(self._iterators[i])
            batches.append(batch)
        return tuple(batches)

    def skip(self, num_batches: int) -> None:
        """Advance by ``num_batches`` zipped batches (used when resuming).

        Whole passes of a dataloader are skipped by counting its sampler
        epochs; the rest of a pass is drawn and discarded.
        """
        for i, loader in enumerate(self.dataloaders):
            length = len(loader)
            self._epochs[i] += num_batches // length
            rest = num_batches % length
            _set_epoch(loader, self._epochs[i])
            self._iterators[i] = iter(loader)
            for _ in range(rest):
                next(self._iterators[i])


def _build_dataloader(runner, dataloader: Union[DataLoader, Dict]):
    if isinstance(dataloader, dict):
        diff_rank_seed = runner._randomness_cfg.get('diff_rank_seed', False)
        return runner.build_dataloader(
            dataloader, seed=runner.seed, diff_rank_seed=diff_rank_seed)
    return dataloader


def _require_mutator_dataloader(loop_name: str, mutator_dataloader) -> None:
    """Raise if a DARTS loop got no ``mutator_dataloader``."""
    if mutator_dataloader is None:
        raise ValueError(f'{loop_name} needs a `mutator_dataloader` (the '
                         'batches of the architecture parameters)')


def _build_mutator_dataloader(
        loop, runner, mutator_dataloader: Union[DataLoader,
                                                Dict]) -> List[DataLoader]:
    """Build ``loop.mutator_dataloader`` and check both dataloaders.

    Args:
        loop: The DARTS train loop (its ``dataloader`` is already built).
        runner (Runner): The runner.
        mutator_dataloader (DataLoader | dict): Batches for the
            architecture parameters.

    Returns:
        list: ``[loop.dataloader, loop.mutator_dataloader]``.
    """
    loop.mutator_dataloader = _build_dataloader(runner, mutator_dataloader)
    _check_loader(loop.dataloader, 'dataloader')
    _check_loader(loop.mutator_dataloader, 'mutator_dataloader')
    return [loop.dataloader, loop.mutator_dataloader]


@LOOPS.register_module()
class DartsEpochBasedTrainLoop(EpochBasedTrainLoop):
    """Epoch-based loop of DARTS: ``train_step`` gets
    ``(supernet_batch, mutator_batch)`` from the zipped ``dataloader`` and
    ``mutator_dataloader`` (an epoch is as long as the longer one; the
    shorter restarts). Resumes from epoch checkpoints like
    ``EpochBasedTrainLoop``.

    Args:
        runner (Runner): The runner.
        dataloader (DataLoader | dict): Batches for the weights.
        mutator_dataloader (DataLoader | dict): Batches for the
            architecture parameters.
        max_epochs (int): Total epochs.
        val_begin (int): First epoch with validation. Defaults to 1.
        val_interval (int): Validation interval. Defaults to 1.
        dynamic_intervals (list, optional): As in EpochBasedTrainLoop.
    """

    def __init__(self,
                 runner,
                 dataloader: Union[DataLoader, Dict],
                 mutator_dataloader: Union[DataLoader, Dict],
                 max_epochs: int,
                 val_begin: int = 1,
                 val_interval: int = 1,
                 dynamic_intervals: Optional[List[Tuple[int, int]]] = None):
        _require_mutator_dataloader('DartsEpochBasedTrainLoop',
                                    mutator_dataloader)
        super().__init__(runner, dataloader, max_epochs, val_begin,
                         val_interval, dynamic_intervals)
        self.multi_loader = EpochMultiLoader(
            _build_mutator_dataloader(self, runner, mutator_dataloader))
        self._max_iters = self._max_epochs * len(self.multi_loader)

    def run_epoch(self) -> None:
        """Iterate one epoch of zipped batches."""
        self.runner.call_hook('before_train_epoch')
        self.runner.model.train()
        self.multi_loader.set_epoch(self._epoch)
        for idx, data_batch in enumerate(self.multi_loader):
            self.run_iter(idx, data_batch)
        self.runner.call_hook('after_train_epoch')
        self._epoch += 1


@LOOPS.register_module()
class DartsIterBasedTrainLoop(IterBasedTrainLoop):
    """Iteration-based loop of DARTS: ``train_step`` gets
    ``(supernet_batch, mutator_batch)`` from the endlessly zipped
    ``dataloader`` and ``mutator_dataloader``. When resuming, both samplers
    are advanced past the batches already trained (without loading them).

    Args:
        runner (Runner): The runner.
        dataloader (DataLoader | dict): Batches for the weights.
        mutator_dataloader (DataLoader | dict): Batches for the
            architecture parameters.
        max_iters (int): Total iterations.
        val_begin (int): First iteration with validation. Defaults to 1.
        val_interval (int): Validation interval. Defaults to 1000.
        dynamic_intervals (list, optional): As in IterBasedTrainLoop.
    """

    def __init__(self,
                 runner,
                 dataloader: Union[DataLoader, Dict],
                 mutator_dataloader: Union[DataLoader, Dict],
                 max_iters: int,
                 val_begin: int = 1,
                 val_interval: int = 1000,
                 dynamic_intervals: Optional[List[Tuple[int, int]]] = None):
        _require_mutator_dataloader('DartsIterBasedTrainLoop',
                                    mutator_dataloader)
        super().__init__(runner, dataloader, max_iters, val_begin,
                         val_interval, dynamic_intervals)
        self.multi_loader = IterMultiLoader(
            _build_mutator_dataloader(self, runner, mutator_dataloader))

    def run(self) -> None:
        """Train until ``max_iters``."""
        self.runner.call_hook('before_train')
        self.runner.call_hook('before_train_epoch')
        if self._iter > 0:
            print_log(
                f'Advance the dataloaders {self._iter} steps to skip the '
                'batches already trained',
                logger='current')
            self.multi_loader.skip(self._iter)
        while self._iter < self._max_iters and not self.stop_training:
            self.runner.model.train()
            data_batch = next(self.multi_loader)
            self.run_iter(data_batch)
            self._decide_current_val_interval()
            if (self.runner.val_loop is not None
                    and self._iter >= self.val_begin
                    and (self._iter % self.val_interval == 0
                         or self._iter == self._max_iters)):
                self.runner.val_loop.run()
        self.runner.call_hook('after_train_epoch')
        self.runner.call_hook('after_train')
        return self.runner.model
