# Copyright (c) OpenMMLab. All rights reserved.
"""Post-training quantization: calibrate, save and evaluate.

The config's ``test_cfg`` must be a ``PTQLoop``; ``runner.test()`` runs the
calibration, writes ``{work_dir}/{timestamp}/model_ptq.pth`` and evaluates
the fake-quantized model. Evaluate a saved PTQ checkpoint again with
``tools/test.py CONFIG CHECKPOINT`` (which sets ``only_val=True``).
"""
import argparse

from mmrazor.utils import register_all_modules
from mmrazor.utils.cli import (ToolError, adapt_distributed_to_cpu,
                               add_cfg_options_arg, add_checkpoint_state_hook,
                               add_common_args, add_launcher_args,
                               build_runner, export_local_rank, load_config,
                               run_tool, set_work_dir)


def parse_args():
    parser = argparse.ArgumentParser(
        description='MMRazor post-training quantization (PTQ)')
    parser.add_argument('config', help='PTQ config file path')
    parser.add_argument(
        '--work-dir',
        help='the directory to save the PTQ checkpoint and metrics')
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
    test_type = str(cfg.get('test_cfg', {}).get('type', ''))
    if not test_type.endswith('PTQLoop'):
        raise ToolError(f'{args.config}: test_cfg.type must be '
                        f"'mmrazor.PTQLoop' for tools/ptq.py, got "
                        f'{test_type or None!r}')

    # work_dir priority: CLI > config > ./work_dirs/<config name>
    set_work_dir(cfg, args.work_dir, args.config)
    cfg.load_from = None

    add_checkpoint_state_hook(cfg)
    adapt_distributed_to_cpu(cfg, args.launcher)

    runner = build_runner(cfg, loop='test')

    runner.test()


if __name__ == '__main__':
    run_tool(main)
