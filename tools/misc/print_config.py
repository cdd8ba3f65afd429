# Copyright (c) OpenMMLab. All rights reserved.
import argparse
import warnings

from mmengine.config import DictAction

from mmrazor.utils import register_all_modules
from mmrazor.utils.cli import add_cfg_options_arg, load_config, run_tool


def parse_args():
    parser = argparse.ArgumentParser(description='Print the whole config')
    parser.add_argument('config', help='config file path')
    parser.add_argument(
        '--options',
        nargs='+',
        action=DictAction,
        help='deprecated, use --cfg-options instead')
    add_cfg_options_arg(parser)
    parser.add_argument(
        '--debug',
        action='store_true',
        help='show the full traceback of errors')
    args = parser.parse_args()
    if args.options and args.cfg_options:
        raise ValueError(
            '--options and --cfg-options cannot be both '
            'specified, --options is deprecated in favor of --cfg-options')
    if args.options:
        warnings.warn('--options is deprecated in favor of --cfg-options')
        args.cfg_options = args.options
    return args


def main():
    args = parse_args()
    register_all_modules(False)
    cfg = load_config(args.config, args.cfg_options)
    print(f'Config:\n{cfg.pretty_text}')


if __name__ == '__main__':
    run_tool(main)
