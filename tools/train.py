# Copyright (c) OpenMMLab. All rights reserved.
import argparse
import logging
import os.path as osp

from mmengine.logging import print_log

from mmrazor.utils import register_all_modules
from mmrazor.utils.cli import (ToolError, adapt_distributed_to_cpu,
                               add_cfg_options_arg, add_checkpoint_state_hook,
                               add_common_args, add_launcher_args,
                               build_runner, export_local_rank, load_config,
                               run_tool, set_work_dir)


def parse_args():
    parser = argparse.ArgumentParser(description='Train an algorithm')
    parser.add_argument('config', help='train config file path')
    parser.add_argument('--work-dir', help='the dir to save logs and models')
    parser.add_argument(
        '--amp',
        action='store_true',
        default=False,
        help='enable automatic-mixed-precision training')
    parser.add_argument(
        '--auto-scale-lr',
        action='store_true',
        help='enable automatically scaling LR.')
    parser.add_argument(
        '--resume',
        action='store_true',
        help='resume from the latest checkpoint in the work_dir '
        'automatically')
    add_cfg_options_arg(parser)
    add_launcher_args(parser)
    add_common_args(parser)
    args = parser.parse_args()
    export_local_rank(args)
    return args


def main():
    args = parse_args()
    register_all_modules(False)

    cfg = load_config(args.config, args.cfg_options)
    cfg.launcher = args.launcher

    # work_dir priority: CLI > config > ./work_dirs/<config name>
    set_work_dir(cfg, args.work_dir, args.config)

    # enable automatic-mixed-precision training
    if args.amp is True:
        optim_wrapper = cfg.optim_wrapper.get('type', 'OptimWrapper')
        if optim_wrapper not in ['OptimWrapper', 'AmpOptimWrapper']:
            raise ToolError('--amp is only supported with OptimWrapper, the '
                            f'config uses {optim_wrapper!r}')
        from mmengine.device import (is_cuda_available, is_mlu_available,
                                     is_musa_available, is_npu_available)
        if not (is_cuda_available() or is_npu_available()
                or is_mlu_available() or is_musa_available()):
            raise ToolError('--amp trains with AmpOptimWrapper, which needs '
                            'a CUDA, NPU, MLU or MUSA device; none is '
                            'available here: drop --amp to train in float32')
        if 'constructor' not in cfg.optim_wrapper:
            cfg.optim_wrapper.type = 'AmpOptimWrapper'
            cfg.optim_wrapper.loss_scale = 'dynamic'
        else:
            for key in cfg.optim_wrapper:
                if isinstance(cfg.optim_wrapper[key], dict) and \
                        'optimizer' in cfg.optim_wrapper[key]:
                    cfg.optim_wrapper[key].type = 'AmpOptimWrapper'
                    cfg.optim_wrapper[key].loss_scale = 'dynamic'

    # enable automatically scaling LR
    if args.auto_scale_lr:
        if isinstance(cfg.get('auto_scale_lr'), dict) and \
                'enable' in cfg.auto_scale_lr and \
                'base_batch_size' in cfg.auto_scale_lr:
            cfg.auto_scale_lr.enable = True
        else:
            raise ToolError('Can not find "auto_scale_lr" or '
                            '"auto_scale_lr.enable" or '
                            '"auto_scale_lr.base_batch_size" in your'
                            ' configuration file.')

    cfg.resume = args.resume or cfg.get('resume', False)
    add_checkpoint_state_hook(cfg)
    adapt_distributed_to_cpu(cfg, args.launcher)

    runner = build_runner(cfg, loop='train')

    print_log(
        f'work_dir: {osp.abspath(cfg.work_dir)}',
        logger='current',
        level=logging.DEBUG)
    # start training
    runner.train()


if __name__ == '__main__':
    run_tool(main)
