# Copyright (c) OpenMMLab. All rights reserved.
import argparse
import os
import os.path as osp

from mmengine.runner import Runner

from mmrazor.registry import RUNNERS
from mmrazor.utils import register_all_modules
from mmrazor.utils.cli import (adapt_distributed_to_cpu, add_cfg_options_arg,
                               add_checkpoint_state_hook, add_common_args,
                               load_config, run_tool)


def parse_args():
    parser = argparse.ArgumentParser(
        description='MMRazor test (and eval) a model')
    parser.add_argument('config', help='test config file path')
    parser.add_argument(
        'checkpoint', help='checkpoint file, or "none" to test as built')
    parser.add_argument(
        '--work-dir',
        help='the directory to save the file containing evaluation metrics')
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

    # work_dir is determined in this priority: CLI > config > default
    if args.work_dir is not None:
        cfg.work_dir = args.work_dir
    elif cfg.get('work_dir', None) is None:
        cfg.work_dir = osp.join('./work_dirs',
                                osp.splitext(osp.basename(args.config))[0])

    if args.checkpoint == 'none':
        # NOTE: In this case, `--cfg-options model.init_cfg.checkpoint=xxx`
        # is usually used to load the checkpoint of the supernet/teacher.
        cfg.load_from = None
    else:
        if not osp.isfile(args.checkpoint) and '://' not in args.checkpoint:
            raise FileNotFoundError(
                f'checkpoint {args.checkpoint!r} does not exist')
        cfg.load_from = args.checkpoint
        test_type = str(cfg.get('test_cfg', {}).get('type', ''))
        if test_type.endswith('PTQLoop'):
            cfg.test_cfg.only_val = True

    add_checkpoint_state_hook(cfg)
    adapt_distributed_to_cpu(cfg, args.launcher)

    # build the runner from config
    if 'runner_type' not in cfg:
        runner = Runner.from_cfg(cfg)
    else:
        runner = RUNNERS.build(cfg)

    runner.test()


if __name__ == '__main__':
    run_tool(main)
