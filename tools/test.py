# Copyright (c) OpenMMLab. All rights reserved.
import argparse
import os.path as osp

from mmrazor.utils import register_all_modules
from mmrazor.utils.cli import (adapt_distributed_to_cpu, add_cfg_options_arg,
                               add_checkpoint_state_hook, add_common_args,
                               add_launcher_args, build_runner,
                               export_local_rank, load_config, run_tool,
                               set_work_dir)


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

    runner = build_runner(cfg, loop='test')

    runner.test()


if __name__ == '__main__':
    run_tool(main)
