# Copyright (c) OpenMMLab. All rights reserved.
"""Sample the final DMCP subnets."""
import json
import os.path as osp

from mmengine.dist import is_main_process
from mmengine.hooks import Hook
from mmengine.model import is_model_wrapper

from mmrazor.registry import HOOKS
from mmrazor.utils import atomic_open, print_log


@HOOKS.register_module()
class DMCPSubnetHook(Hook):
    """After training DMCP, sample ``subnet_sample_num`` subnets from the
    Markov chain ('direct') whose FLOPs are within 5 % of the algorithm's
    ``target_flops``, and the expected subnet; write them as mutator-mode
    structure files ``{work_dir}/model_sample/subnet_{i}.json`` and
    ``{work_dir}/model_sample/excepted_ch.json`` (loadable with
    ``sub_model(mode='mutator')``).

    Args:
        subnet_sample_num (int): Defaults to 10.
        max_tries (int): Samples drawn at most. Defaults to 1000.
    """

    priority = 'VERY_LOW'

    def __init__(self,
                 subnet_sample_num: int = 10,
                 max_tries: int = 1000) -> None:
        self.subnet_sample_num = subnet_sample_num
        self.max_tries = max_tries

    @staticmethod
    def _dump(model, path: str) -> None:
        data = model.mutator.config_template(with_unit_init_args=True)
        with atomic_open(path, 'w') as f:
            f.write(json.dumps(data, indent=4, separators=(',', ':')))

    def after_run(self, runner) -> None:
        """Sample and write the subnets."""
        model = runner.model.module if is_model_wrapper(
            runner.model) else runner.model
        if not hasattr(model, 'mutator') or \
                not hasattr(model.mutator, 'sample_subnet'):
            raise TypeError('DMCPSubnetHook needs a DMCP algorithm, got '
                            f'{type(model).__name__}')
        out_dir = osp.join(runner.work_dir, 'model_sample')
        target = model.target_flops
        found, tries = 0, 0
        while found < self.subnet_sample_num and tries < self.max_tries:
            tries += 1
            model.mutator.sample_subnet('direct')
            flops = float(model.mutator.expected_flops())
            if abs(flops - target) > 0.05 * target:
                continue
            if is_main_process():
                self._dump(model, osp.join(out_dir,
                                           f'subnet_{found + 1}.json'))
            print_log(
                f'DMCP subnet {found + 1}: {flops:.2f} MFLOPs',
                logger='current')
            found += 1
        if found < self.subnet_sample_num:
            print_log(
                f'DMCPSubnetHook: only {found} of {self.subnet_sample_num} '
                f'subnets within 5 % of {target} MFLOPs in {tries} samples',
                logger='current',
                level=30)
        model.mutator.sample_subnet('expected')
        flops = float(model.mutator.expected_flops())
        if is_main_process():
            self._dump(model, osp.join(out_dir, 'excepted_ch.json'))
        print_log(
            f'DMCP expected subnet: {flops:.2f} MFLOPs', logger='current')
        model.mutator.sample_subnet('max')
