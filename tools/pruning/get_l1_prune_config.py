# Copyright (c) OpenMMLab. All rights reserved.
"""Generate a ready-to-run L1-norm pruning config from a model config.

    python tools/pruning/get_l1_prune_config.py CONFIG [--checkpoint CKPT]
        [--subnet target.json] [-o prune.py] [--input-shape 1 3 224 224]
"""
import argparse
import json
import os.path as osp
import sys

sys.path.insert(0, osp.dirname(osp.abspath(__file__)))
from _common import build_model, demo_input_cfg, load_config  # noqa: E402

from mmrazor.utils.cli import ToolError  # noqa: E402


def parse_args(argv=None):
    parser = argparse.ArgumentParser(
        description='Get the config to prune a model with L1 norm.')
    parser.add_argument('config', help='config of the model')
    parser.add_argument(
        '--checkpoint', default=None, help='checkpoint of the model to prune')
    parser.add_argument(
        '--subnet', default=None, help='json of {unit_name: choice} targets')
    parser.add_argument('-o', default='./prune.py', help='output config path')
    parser.add_argument('--input-shape', type=int, nargs='+', default=None)
    return parser.parse_args(argv)


def wrap_prune_config(cfg, target: dict, checkpoint=None, input_shape=None):
    """``cfg`` with its model wrapped in an ``ItePruneAlgorithm``."""
    from mmengine.config import Config
    cfg = Config(cfg.to_dict() if hasattr(cfg, 'to_dict') else dict(cfg))
    arch = dict(cfg.model)
    pre = arch.pop('data_preprocessor', None)
    if pre is not None:
        arch['data_preprocessor'] = pre
    if checkpoint:
        arch['init_cfg'] = dict(type='Pretrained', checkpoint=checkpoint)
    cfg.model = dict(
        _scope_='mmrazor',
        type='ItePruneAlgorithm',
        architecture=arch,
        mutator_cfg=dict(
            type='ChannelMutator',
            channel_unit_cfg=dict(
                type='L1MutableChannelUnit',
                default_args=dict(choice_mode='ratio')),
            parse_cfg=dict(
                type='ChannelAnalyzer',
                tracer_type='FxTracer',
                demo_input=demo_input_cfg(cfg, input_shape))),
        target_pruning_ratio=target,
        step_freq=1,
        prune_times=1)
    return cfg


def main(argv=None) -> str:
    args = parse_args(argv)
    from get_channel_units import get_mutator
    cfg = load_config(args.config)
    if args.subnet:
        if not osp.exists(args.subnet):
            raise ToolError(f'subnet file {args.subnet} not found')
        with open(args.subnet) as f:
            try:
                target = json.load(f)
            except json.JSONDecodeError as e:
                raise ToolError(f'subnet file {args.subnet} is not valid '
                                f'JSON ({e}); expected the channel choices '
                                'written by get_channel_units.py '
                                '--choice') from e
        if not isinstance(target, dict):
            raise ToolError(f'subnet file {args.subnet} holds a '
                            f'{type(target).__name__}; expected a mapping '
                            'of unit names to channel choices')
    else:
        model = build_model(cfg)
        target = get_mutator(model, cfg, args.input_shape).choice_template
    out = wrap_prune_config(cfg, target, args.checkpoint, args.input_shape)
    from mmrazor.utils import atomic_write
    atomic_write(args.o, out.dump)
    print(f'saved pruning config to {args.o}')
    return args.o


if __name__ == '__main__':
    from mmrazor.utils.cli import run_tool
    run_tool(main)
