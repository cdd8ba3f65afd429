# Copyright (c) OpenMMLab. All rights reserved.
import copy
from typing import Any, Dict, List, Optional, Union

import numpy as np

from mmrazor.registry import DATASETS
from mmrazor.utils.config_dict import as_config_dict


@DATASETS.register_module()
class CRDDataset:
    """Wrap a classification dataset for contrastive representation
    distillation (CRD).

    Every sample gets ``sample_idx`` (its index) and
    ``contrast_sample_idxs`` = ``[positive] + neg_num negatives``, where
    the negatives are drawn from the other classes and the positive is the
    sample itself (``sample_mode='exact'``) or a random sample of its class
    (``'random'``). The wrapped dataset's pipeline is then applied (pack
    with :class:`PackCRDClsInputs` so that the indices reach the loss).

    Args:
        dataset (dict | BaseDataset): The dataset (config or instance).
        neg_num (int): Negatives per sample.
        percent (float): Share of the negatives of each class kept in the
            negative pool (``0 < percent <= 1``). Defaults to 1.0.
        lazy_init (bool): Defer the parsing until :meth:`full_init`.
        num_classes (int, optional): Number of classes; defaults to the
            length of ``metainfo['classes']``.
        sample_mode (str): ``'exact'`` or ``'random'``.
    """

    def __init__(self,
                 dataset: Union[Dict, Any],
                 neg_num: int,
                 percent: float = 1.0,
                 lazy_init: bool = False,
                 num_classes: Optional[int] = None,
                 sample_mode: str = 'exact') -> None:
        dataset = as_config_dict(dataset)
        if isinstance(dataset, dict):
            dataset = DATASETS.build(dataset)
        if sample_mode not in ('exact', 'random'):
            raise ValueError("CRDDataset: sample_mode must be 'exact' or "
                             f"'random', got {sample_mode!r}")
        if not 0 < percent <= 1:
            raise ValueError(f'CRDDataset: percent must be in (0, 1], got '
                             f'{percent}')
        if not isinstance(neg_num, int) or neg_num < 1:
            raise ValueError(f'CRDDataset: neg_num must be a positive int, '
                             f'got {neg_num!r}')
        self.dataset = dataset
        self.neg_num = neg_num
        self.percent = percent
        self.sample_mode = sample_mode
        self.num_classes = num_classes
        self._fully_initialized = False
        if not lazy_init:
            self.full_init()

    @property
    def metainfo(self) -> dict:
        """dict: The wrapped dataset's meta information."""
        return copy.deepcopy(self.dataset.metainfo)

    def _labels(self) -> List[int]:
        labels = []
        for idx in range(len(self.dataset)):
            info = self.dataset.get_data_info(idx)
            if 'gt_label' not in info:
                raise KeyError(f'CRDDataset: sample {idx} of '
                               f'{type(self.dataset).__name__} has no '
                               '`gt_label`')
            labels.append(int(np.asarray(info['gt_label']).reshape(-1)[0]))
        return labels

    def full_init(self) -> None:
        """Parse the positives and negatives of every class."""
        if self._fully_initialized:
            return
        if hasattr(self.dataset, 'full_init'):
            self.dataset.full_init()
        labels = np.asarray(self._labels())
        num_classes = self.num_classes
        if num_classes is None:
            classes = self.dataset.metainfo.get('classes')
            num_classes = len(classes) if classes else int(labels.max()) + 1
        self.num_classes = num_classes
        self.gt_labels = labels
        self.cls_positive = [
            np.where(labels == c)[0] for c in range(num_classes)
        ]
        self.cls_negative = [
            np.where(labels != c)[0] for c in range(num_classes)
        ]
        if self.percent < 1:
            for c in range(num_classes):
                keep = max(int(len(self.cls_negative[c]) * self.percent), 1)
                self.cls_negative[c] = np.random.permutation(
                    self.cls_negative[c])[:keep]
        self._fully_initialized = True

    def __len__(self) -> int:
        return len(self.dataset)

    def get_data_info(self, idx: int) -> dict:
        """The wrapped sample's info plus the contrast indices."""
        if not self._fully_initialized:
            self.full_init()
        info = copy.deepcopy(self.dataset.get_data_info(idx))
        target = int(self.gt_labels[idx])
        if self.sample_mode == 'exact':
            pos_idx = idx
        else:
            pos_idx = int(np.random.choice(self.cls_positive[target], 1)[0])
        negatives = self.cls_negative[target]
        replace = self.neg_num > len(negatives)
        neg_idx = np.random.choice(negatives, self.neg_num, replace=replace)
        info['sample_idx'] = idx
        info['contrast_sample_idxs'] = np.hstack(
            (np.asarray([pos_idx]), neg_idx)).astype(np.int64)
        return info

    def __getitem__(self, idx: int) -> Any:
        return self.dataset.pipeline(self.get_data_info(idx))
