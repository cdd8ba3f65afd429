# Copyright (c) OpenMMLab. All rights reserved.
from typing import List, Optional, Sequence

import numpy as np
from mmengine.dataset import BaseDataset

from mmrazor.registry import DATASETS

SPLITS = ('train', 'val', 'test')


def _load_digits():
    try:
        from sklearn.datasets import load_digits
    except ImportError as e:  # pragma: no cover - depends on the env
        raise ImportError('DigitsDataset reads the digits shipped inside '
                          'scikit-learn: `pip install scikit-learn`.') from e
    data = load_digits()
    return data.images, data.target


def split_indices(targets: np.ndarray, ratios: Sequence[float],
                  seed: int) -> List[np.ndarray]:
    """A deterministic stratified split of ``range(len(targets))``.

    Args:
        targets (np.ndarray): Class of each sample.
        ratios (Sequence[float]): Share of train, val and test; they are
            normalised to sum to 1.
        seed (int): Seed of the shuffle.

    Returns:
        list[np.ndarray]: Sorted indices of each split.
    """
    ratios = np.asarray(ratios, dtype=np.float64)
    if ratios.shape != (3, ) or (ratios < 0).any() or ratios.sum() <= 0:
        raise ValueError('split_ratios must be three non-negative numbers '
                         f'(train, val, test), got {list(ratios)}')
    ratios = ratios / ratios.sum()
    rng = np.random.RandomState(seed)
    parts: List[List[int]] = [[], [], []]
    for cls in np.unique(targets):
        idx = np.flatnonzero(targets == cls)
        rng.shuffle(idx)
        n_train = int(round(len(idx) * ratios[0]))
        n_val = int(round(len(idx) * ratios[1]))
        parts[0].extend(idx[:n_train])
        parts[1].extend(idx[n_train:n_train + n_val])
        parts[2].extend(idx[n_train + n_val:])
    return [np.sort(np.asarray(p, dtype=np.int64)) for p in parts]


def resize_images(images: np.ndarray, size: int) -> np.ndarray:
    """Bilinear resize of ``(N, H, W)`` float images to ``size x size``."""
    if images.shape[1] == size and images.shape[2] == size:
        return images
    import torch
    import torch.nn.functional as F
    tensor = torch.from_numpy(images.astype(np.float32))[:, None]
    out = F.interpolate(
        tensor, size=(size, size), mode='bilinear', align_corners=False)
    return out[:, 0].numpy()


@DATASETS.register_module()
class DigitsDataset(BaseDataset):
    """scikit-learn's handwritten digits as an MMEngine dataset.

    1,797 real 8x8 grey images of the digits 0-9 ship inside the
    scikit-learn wheel (UCI ML hand-written digits), so this dataset needs
    no download. Samples are split deterministically (stratified by class)
    into train/val/test, and can be resized and repeated over channels so
    that standard classifiers accept them. Each sample is a dict with
    ``img`` (``H x W x C`` uint8), ``gt_label`` (int), ``img_shape``,
    ``ori_shape`` and ``sample_idx``, which mmpretrain's ``PackInputs`` and
    mmcls's ``PackClsInputs`` pack as usual.

    Args:
        split (str): ``'train'``, ``'val'`` or ``'test'``.
        img_size (int): Side of the (square) output images. Defaults to 8.
        channels (int): 1 (grey) or 3 (grey repeated). Defaults to 1.
        split_ratios (Sequence[float]): Shares of train, val and test.
            Defaults to (0.6, 0.2, 0.2).
        split_seed (int): Seed of the split. Defaults to 0.
        pipeline (list): Data transforms. Defaults to ``[]``.
        test_mode (bool): As in :class:`BaseDataset`. Defaults to False.
        **kwargs: Other arguments of :class:`BaseDataset`.

    Examples:
        >>> ds = DigitsDataset(split='val', img_size=16, channels=3)
        >>> len(ds), ds[0]['img'].shape, ds[0]['img'].dtype
        (360, (16, 16, 3), dtype('uint8'))
    """

    METAINFO = {'classes': tuple(str(i) for i in range(10))}

    def __init__(self,
                 split: str = 'train',
                 img_size: int = 8,
                 channels: int = 1,
                 split_ratios: Sequence[float] = (0.6, 0.2, 0.2),
                 split_seed: int = 0,
                 pipeline: Optional[list] = None,
                 test_mode: bool = False,
                 **kwargs) -> None:
        if split not in SPLITS:
            raise ValueError(f'DigitsDataset: split={split!r}, expected one '
                             f'of {SPLITS}')
        if channels not in (1, 3):
            raise ValueError(f'DigitsDataset: channels={channels!r}, '
                             'expected 1 or 3')
        if not isinstance(img_size, int) or img_size < 1:
            raise ValueError(f'DigitsDataset: img_size={img_size!r}, '
                             'expected a positive int')
        self.split = split
        self.img_size = img_size
        self.channels = channels
        self.split_ratios = tuple(split_ratios)
        self.split_seed = split_seed
        super().__init__(
            pipeline=pipeline or [], test_mode=test_mode, **kwargs)

    def load_data_list(self) -> List[dict]:
        images, targets = _load_digits()
        indices = split_indices(targets, self.split_ratios,
                                self.split_seed)[SPLITS.index(self.split)]
        images = resize_images(images[indices], self.img_size)
        # digits are 0..16: scale to the usual 0..255 uint8 range
        images = np.clip(np.round(images * (255.0 / 16.0)), 0,
                         255).astype(np.uint8)
        data_list = []
        for i, (img, idx) in enumerate(zip(images, indices)):
            img = np.repeat(img[:, :, None], self.channels, axis=2)
            data_list.append(
                dict(
                    img=np.ascontiguousarray(img),
                    gt_label=int(targets[idx]),
                    img_shape=img.shape[:2],
                    ori_shape=(8, 8),
                    sample_idx=int(idx)))
        return data_list

    def get_cat_ids(self, idx: int) -> List[int]:
        """The category of sample ``idx``."""
        return [int(self.get_data_info(idx)['gt_label'])]
