# Copyright (c) OpenMMLab. All rights reserved.
from typing import Dict

import torch
from mmcv.transforms import BaseTransform

from mmrazor.registry import TRANSFORMS


@TRANSFORMS.register_module()
class PackCRDClsInputs(BaseTransform):
    """Pack a classification sample like mmcls' ``PackClsInputs`` and also
    put ``sample_idx`` (a tensor) and ``contrast_sample_idxs`` (a tensor)
    into the data sample, for :class:`CRDLoss`.

    Args:
        **kwargs: Arguments of ``PackClsInputs`` (e.g. ``meta_keys``).
    """

    def __init__(self, **kwargs) -> None:
        self.kwargs = kwargs
        self._packer = None

    def _get_packer(self):
        if self._packer is None:
            try:
                from mmcls.datasets.transforms import PackClsInputs
            except ImportError:
                from mmpretrain.datasets.transforms import \
                    PackInputs as PackClsInputs
            self._packer = PackClsInputs(**self.kwargs)
        return self._packer

    def transform(self, results: Dict) -> Dict:
        """Pack the inputs and add the CRD indices."""
        for key in ('sample_idx', 'contrast_sample_idxs'):
            if key not in results:
                raise KeyError(f'PackCRDClsInputs: the sample has no '
                               f'{key!r}; wrap the dataset in CRDDataset')
        packed = self._get_packer()(results)
        data_sample = packed['data_samples']
        for key in ('sample_idx', 'contrast_sample_idxs'):
            value = torch.as_tensor(results[key], dtype=torch.long)
            if key in data_sample.metainfo_keys():
                delattr(data_sample, key)
            data_sample.set_field(value, key, field_type='data')
        return packed

    def __repr__(self) -> str:
        return f'{type(self).__name__}({self.kwargs})'
