# Copyright (c) OpenMMLab. All rights reserved.
"""Static pruned model of a Group Fisher checkpoint (for finetuning)."""
import copy
import json
import os.path as osp
import types
from typing import Dict, Union

from mmengine.model import BaseModel
from torch import nn

from mmrazor.models.algorithms.base import BaseAlgorithm
from mmrazor.registry import MODELS
from mmrazor.utils import RuntimeInfo, atomic_open, print_log


def _build_algorithm(algorithm: Union[Dict, BaseAlgorithm]) -> BaseAlgorithm:
    if isinstance(algorithm, BaseAlgorithm):
        return algorithm
    if not isinstance(algorithm, dict):
        raise TypeError('GroupFisherSubModel: algorithm must be a config '
                        f'dict or a BaseAlgorithm, got '
                        f'{type(algorithm).__name__}')
    cfg = copy.deepcopy(dict(algorithm))
    arch = cfg.get('architecture')
    if cfg.get('init_cfg') and isinstance(arch, dict):
        # the algorithm checkpoint provides every weight
        arch = dict(arch)
        arch.pop('init_cfg', None)
        cfg['architecture'] = arch
    model = MODELS.build(cfg)
    if not isinstance(model, BaseAlgorithm) or \
            not hasattr(model, 'mutator'):
        raise TypeError('GroupFisherSubModel: the algorithm config must '
                        'build a pruning algorithm with a mutator, got '
                        f'{type(model).__name__}')
    return model


def _init_algorithm(model: BaseAlgorithm) -> None:
    """Load the pruned checkpoint of ``init_cfg=Pretrained`` (weights and
    masks; nothing else is initialised, so no upstream pretrained weights
    are fetched), or run the usual ``init_weights``."""
    init_cfg = model.init_cfg
    if isinstance(init_cfg, dict) and init_cfg.get('type') == 'Pretrained' \
            and 'prefix' not in init_cfg:
        from mmengine.runner import load_checkpoint
        load_checkpoint(
            model, init_cfg['checkpoint'], map_location='cpu', strict=True)
        model._is_init = True
    else:
        model.init_weights()


def dump_fix_subnet(fix_subnet: Dict, work_dir: str) -> str:
    """Write ``{work_dir}/fix_subnet.json`` (``{unit_name: channels}``)."""
    path = osp.join(work_dir, 'fix_subnet.json')
    with atomic_open(path, 'w') as f:
        f.write(json.dumps(fix_subnet, indent=4, separators=(',', ':')))
    return path


@MODELS.register_module()
def GroupFisherSubModel(algorithm: Union[Dict, BaseAlgorithm],
                        divisor: int = 1,
                        **kwargs) -> nn.Module:
    """The static pruned architecture of a Group Fisher algorithm.

    The algorithm is built and initialised (its ``init_cfg``, usually
    ``Pretrained`` with a ``flops_0.50.pth`` of :class:`ResourceInfoHook`,
    loads the weights and the pruning masks), then exported to a static
    model. With ``divisor`` > 1 every unit is widened to a multiple of
    ``divisor`` with zero weights. The returned model dumps its structure
    (``{unit_name: channels}``, the ``fix_subnet`` of
    :func:`GroupFisherDeploySubModel`) to ``{work_dir}/fix_subnet.json``
    when the runner initialises it.

    Args:
        algorithm (dict | BaseAlgorithm): The Group Fisher algorithm.
        divisor (int): Channel divisor. Defaults to 1.

    Returns:
        nn.Module: The static architecture (for finetuning).
    """
    from mmrazor.structures.subnet import export_fix_subnet
    if isinstance(divisor, bool) or not isinstance(divisor, int) or \
            divisor <= 0:
        raise ValueError('GroupFisherSubModel: divisor must be a positive '
                         f'int, got {divisor!r}')
    model = _build_algorithm(algorithm)
    _init_algorithm(model)
    fix_subnet = {
        unit.name: int(unit.mutable_channel.activated_channels)
        for unit in model.mutator.mutable_units
    }
    widths = {u.name: u.num_channels for u in model.mutator.mutable_units}
    _, static = export_fix_subnet(
        model, export_subnet_mode='mutator', slice_weight=True)
    pruned = static.architecture
    if divisor != 1:
        from mmrazor.models.utils.expandable_utils import \
            make_channel_divisible
        demo_input = model.mutator.parse_cfg.get('demo_input')
        names = _rename_units(fix_subnet)
        structure = make_channel_divisible(
            pruned,
            divisor,
            zero_weight=True,
            demo_input=demo_input,
            max_channels={
                k: widths[names[k]]
                for k in names if names[k] in widths
            })
        for name, n in structure.items():
            if name in names:
                fix_subnet[names[name]] = n
    pruned.init_cfg = None
    if isinstance(pruned, BaseModel) and isinstance(
            getattr(model, 'data_preprocessor', None), nn.Module):
        pruned.data_preprocessor = model.data_preprocessor
    pruned.fix_subnet = fix_subnet

    def init_weights(self) -> None:
        try:
            work_dir = RuntimeInfo.work_dir()
        except KeyError:
            return
        path = dump_fix_subnet(self.fix_subnet, work_dir)
        print_log(f'pruned structure saved to {path}', logger='current')

    pruned.init_weights = types.MethodType(init_weights, pruned)
    return pruned


def _rename_units(fix_subnet: Dict[str, int]) -> Dict[str, str]:
    """Map the unit names of the static pruned model (``..._(0, k)_k``)
    to the names of the algorithm's units (``..._(0, n)_n``)."""
    names = {}
    for name, k in fix_subnet.items():
        head, _, _ = name.rpartition('_(')
        names[f'{head}_(0, {k})_{k}'] = name
    return names
