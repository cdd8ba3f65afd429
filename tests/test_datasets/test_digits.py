# Copyright (c) OpenMMLab. All rights reserved.
import numpy as np
import pytest
import torch

from mmrazor.datasets import DigitsDataset
from mmrazor.datasets.digits import split_indices
from mmrazor.registry import DATASETS


def test_split_is_deterministic_disjoint_and_stratified():
    from sklearn.datasets import load_digits
    targets = load_digits().target
    a = split_indices(targets, (0.6, 0.2, 0.2), 0)
    b = split_indices(targets, (0.6, 0.2, 0.2), 0)
    c = split_indices(targets, (0.6, 0.2, 0.2), 1)
    assert all(np.array_equal(x, y) for x, y in zip(a, b))
    assert not np.array_equal(a[0], c[0])
    allidx = np.concatenate(a)
    assert len(allidx) == len(targets) == 1797
    assert len(np.unique(allidx)) == 1797
    for part in a[1:]:
        counts = np.bincount(targets[part], minlength=10)
        assert counts.min() >= 30  # every class present in val and test


def test_sizes_and_sample_format():
    sizes = {s: len(DigitsDataset(split=s)) for s in ('train', 'val', 'test')}
    assert sum(sizes.values()) == 1797
    assert sizes['train'] > 1000 and sizes['val'] > 300
    ds = DATASETS.build(
        dict(type='DigitsDataset', split='test', img_size=32, channels=3))
    item = ds[0]
    assert item['img'].shape == (32, 32, 3) and item['img'].dtype == np.uint8
    assert 0 <= item['gt_label'] < 10
    assert item['img'].max() > 200  # scaled to the 0..255 range
    assert ds.metainfo['classes'] == tuple(str(i) for i in range(10))
    assert ds.get_cat_ids(0) == [item['gt_label']]


@pytest.mark.parametrize('kwargs,key', [
    (dict(split='holdout'), 'split'),
    (dict(channels=2), 'channels'),
    (dict(img_size=0), 'img_size'),
    (dict(split_ratios=(1, 1)), 'split_ratios'),
])
def test_bad_arguments_name_the_key(kwargs, key):
    with pytest.raises(ValueError, match=key):
        DigitsDataset(**kwargs)


def test_mmpretrain_pipeline_and_preprocessor():
    from mmengine.dataset import pseudo_collate
    from mmengine.registry import MODELS
    ds = DigitsDataset(
        split='val', img_size=16, pipeline=[dict(type='mmcls.PackClsInputs')])
    item = ds[3]
    assert item['inputs'].shape == (1, 16, 16)
    assert int(item['data_samples'].gt_label) == ds.get_cat_ids(3)[0]
    pre = MODELS.build(
        dict(type='mmpretrain.ClsDataPreprocessor', mean=[127.5], std=[127.5]))
    data = pre(pseudo_collate([ds[i] for i in range(4)]))
    assert data['inputs'].shape == (4, 1, 16, 16)
    assert data['inputs'].dtype == torch.float32
    assert data['inputs'].abs().max() <= 1.0 + 1e-6
