# Copyright (c) OpenMMLab. All rights reserved.
"""Post-training quantization: calibrate, save and evaluate.

The config's ``test_cfg`` must be a ``PTQLoop``; ``runner.test()`` runs the
calibration, writes ``{work_dir}/{timestamp}/model_ptq.pth`` and evaluates
the fake-quantized model. Evaluate a saved PTQ checkpoint again with
``tools/test.py CONFIG CHECKPOINT`` (which sets ``only_val=True``).
"""
import argparse
import os
import os.path as osp

from mmengine.runner import Runner

from mmrazor.registry import RUNNERS
from mmrazor.utils import register_all_modules
from mmrazor.utils.cli import (ToolError, add_cfg_options_arg,
                               add_checkpoint_state_hook, add_common_args,
                               adapt_distributed_to_cpu, load_config, run_tool)


def parse_args():
    parser = argparse.ArgumentParser(
        description='MMRazor post-training quantization (PTQ)')
    parser.add_argument('config', help='PTQ config file path')
    parser.add_argument(
        '--work-dir',
        help='the directory to save the PTQ checkpoint and metrics')
    add_cfg_options_arg(parser)
    parser.add_argument(
        '--launcher',
        choices=['none', 'pytorch', 'slurm', 'mpi'],
        default='none',
        help='job launcher')
    parser.add_argument('--local_rank', '--local-rank', type=int, default=0)
    add_common_args(parser)
    args = parser.parse_args()
    if 'LOCAL_RANK' not in os.environ:
        os.environ['LOCAL_RANK'] = str(args.local_rank)
    return args


def main():
    args = parse_args()
    register_all_modules(False)

    cfg = load_config(args.config, args.cfg_options)
    cfg.launcher = args.launcher
    test_type = str(cfg.get('test_cfg', {}).get('type', ''))
    if not test_type.endswith('PTQLoop'):
        raise ToolError(f'{args.config}: test_cfg.type must be '
                        f"'mmrazor.PTQLoop' for tools/ptq.py, got "
                        f'{test_type or None!r}')

    # work_dir is determined in this priority: CLI > config > default
    if args.work_dir is not None:
        cfg.work_dir = args.work_dir
    elif cfg.get('work_dir', None) is None:
        cfg.work_dir = osp.join('./work_dirs',
                                osp.splitext(osp.basename(args.config))[0])
    cfg.load_from = None

    add_checkpoint_state_hook(cfg)
    adapt_distributed_to_cpu(cfg, args.launcher)

    if 'runner_type' not in cfg:
        runner = Runner.from_cfg(cfg)
    else:
        runner = RUNNERS.build(cfg)

    runner.test()


if __name__ == '__main__':
    run_tool(main)
