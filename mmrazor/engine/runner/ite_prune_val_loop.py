# Copyright (c) OpenMMLab. All rights reserved.
"""Validation loop that exports the pruned structure and weights."""
import json
import os.path as osp

import torch
from mmengine.dist import is_main_process
from mmengine.model import is_model_wrapper
from mmengine.runner import ValLoop

from mmrazor.registry import LOOPS
from mmrazor.utils import atomic_open, atomic_write, print_log


def save_pruned_subnet(model, out_dir: str) -> tuple:
    """Write ``fix_subnet.json`` (mutator mode, with channels) and
    ``fix_subnet_weight.pth`` (static architecture state dict) for a
    pruning algorithm.

    Args:
        model (BaseAlgorithm): An algorithm with a channel ``mutator``.
        out_dir (str): Directory to write into.

    Returns:
        tuple: The two paths.
    """
    from mmrazor.structures.subnet import export_fix_subnet
    fix_subnet, static = export_fix_subnet(
        model,
        export_subnet_mode='mutator',
        slice_weight=True,
        export_channel=True)
    json_path = osp.join(out_dir, 'fix_subnet.json')
    pth_path = osp.join(out_dir, 'fix_subnet_weight.pth')

    arch = getattr(static, 'architecture', static)
    state = {k: v.cpu() for k, v in arch.state_dict().items()}
    with atomic_open(json_path, 'w') as f:
        f.write(json.dumps(fix_subnet, indent=4, separators=(',', ':')))
    atomic_write(pth_path,
                 lambda tmp: torch.save(dict(state_dict=state, meta={}), tmp))
    return json_path, pth_path


@LOOPS.register_module()
class ItePruneValLoop(ValLoop):
    """:class:`ValLoop` that, after validating, exports the current pruned
    subnet to ``work_dir/fix_subnet.json`` and
    ``work_dir/fix_subnet_weight.pth``."""

    def run(self):
        metrics = super().run()
        model = self.runner.model
        if is_model_wrapper(model):
            model = model.module
        if is_main_process() and hasattr(model, 'mutator'):
            json_path, _ = save_pruned_subnet(model, self.runner.work_dir)
            print_log(f'pruned subnet saved to {json_path}', logger='current')
        return metrics
