# Copyright (c) OpenMMLab. All rights reserved.
"""Print or save the channel units of a model.

    python tools/pruning/get_channel_units.py CONFIG [-c] [-i] [--choice]
        [-o units.json] [--input-shape 1 3 224 224]
        [--tracer {FxTracer,BackwardTracer}]
"""
import argparse
import json
import os.path as osp
import sys

sys.path.insert(0, osp.dirname(osp.abspath(__file__)))
import _common  # noqa: E402

build_model, demo_input_cfg = _common.build_model, _common.demo_input_cfg
load_config, write_json = _common.load_config, _common.write_json


def parse_args(argv=None):
    parser = argparse.ArgumentParser(
        description='Get the channel units of a model.')
    parser.add_argument('config', help='config of the model')
    parser.add_argument(
        '-c',
        '--with-channel',
        action='store_true',
        help='output with channels')
    parser.add_argument(
        '-i',
        '--with-init-args',
        action='store_true',
        help='output with init args')
    parser.add_argument(
        '--choice',
        action='store_true',
        help='output the choice template only')
    parser.add_argument(
        '-o', '--output-path', default='', help='json file to write')
    parser.add_argument(
        '--input-shape',
        type=int,
        nargs='+',
        default=None,
        help='demo input shape, e.g. 1 3 224 224')
    parser.add_argument(
        '--report',
        action='store_true',
        help='print the channel-analysis report')
    parser.add_argument(
        '--tracer',
        choices=('FxTracer', 'BackwardTracer'),
        default='FxTracer',
        help='how the model is traced: torch.fx (default) or by walking '
        'grad_fn back from a pseudo loss (for models fx cannot trace)')
    return parser.parse_args(argv)


def get_mutator(model, cfg, input_shape=None, tracer_type='FxTracer'):
    """The algorithm's mutator, or an L1 ChannelMutator on ``model``."""
    from mmrazor.models.algorithms import BaseAlgorithm
    from mmrazor.models.mutators import ChannelMutator
    if isinstance(model, BaseAlgorithm) and hasattr(model, 'mutator'):
        return model.mutator
    mutator = ChannelMutator(
        channel_unit_cfg=dict(
            type='L1MutableChannelUnit',
            default_args=dict(choice_mode='ratio')),
        parse_cfg=dict(
            type='ChannelAnalyzer',
            tracer_type=tracer_type,
            demo_input=demo_input_cfg(cfg, input_shape)))
    mutator.prepare_from_supernet(model)
    return mutator


def main(argv=None) -> dict:
    args = parse_args(argv)
    cfg = load_config(args.config)
    model = build_model(cfg)
    mutator = get_mutator(model, cfg, args.input_shape, args.tracer)
    if args.choice:
        out = mutator.choice_template
    else:
        out = mutator.config_template(
            with_channels=args.with_channel,
            with_unit_init_args=args.with_init_args)
    if args.report and mutator.analysis_report is not None:
        print(mutator.analysis_report.format(), file=sys.stderr)
    if args.output_path:
        write_json(out, args.output_path)
        print(f'saved to {args.output_path}')
    else:
        print(json.dumps(out, indent=4))
    return out


if __name__ == '__main__':
    from mmrazor.utils.cli import run_tool
    run_tool(main)
