# Copyright (c) OpenMMLab. All rights reserved.
"""Convert an official Once-for-All MobileNetV3 checkpoint to MMRazor.

The flat block list ``blocks.i`` becomes ``layer{a}.{b}`` from the stage
depths (``--depth``, default the OFA supernet 1 4 4 4 4 4); official names
become those of ``MBBlock`` / ``ConvModule``: ``mobile_inverted_conv``
(or ``conv``) ``.inverted_bottleneck`` -> ``expand_conv``, ``.depth_conv``
-> ``depthwise_conv``, ``.depth_conv.se.fc.reduce/expand`` ->
``se.conv1.conv`` / ``se.conv2.conv``, ``.point_linear`` ->
``linear_conv``, ``{k}to{t}_matrix`` -> ``trans_matrix_{k}to{t}``,
``final_expand_layer`` / ``feature_mix_layer`` -> ``last_conv.*``, and
``classifier.linear`` -> ``head.fc``; every key gets the
``architecture.`` (and ``backbone.``) prefix. Writes ``<name>_latest.pth``
unless ``--inplace``.
"""
import argparse
import os.path as osp
import re
import sys
from collections import OrderedDict
from typing import List, Sequence, Tuple

sys.path.insert(0,
                osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__)))))

from mmrazor.utils.ckpt_converter import (  # noqa
    converted_path, load_source_checkpoint, save_converted)
from mmrazor.utils.cli import ToolError, add_common_args, run_tool  # noqa

DEFAULT_DEPTH = (1, 4, 4, 4, 4, 4)

_LAYER_NAMES = (
    ('inverted_bottleneck', 'expand_conv'),
    ('depth_conv', 'depthwise_conv'),
    ('point_linear', 'linear_conv'),
)


def parse_args(argv=None):
    parser = argparse.ArgumentParser(
        description='Convert an official OFA checkpoint to MMRazor')
    parser.add_argument('checkpoint', help='input checkpoint path')
    parser.add_argument(
        '--depth',
        type=int,
        nargs='+',
        default=list(DEFAULT_DEPTH),
        help='number of blocks of every stage (default: 1 4 4 4 4 4)')
    parser.add_argument(
        '--inplace', action='store_true', help='overwrite the input')
    add_common_args(parser)
    return parser.parse_args(argv)


def block_table(depth: Sequence[int]) -> List[Tuple[int, int]]:
    """``blocks.i`` -> ``(stage, index)`` (stages from 1)."""
    if not depth or any(d <= 0 for d in depth):
        raise ToolError(f'--depth must be positive ints, got {list(depth)}')
    return [(s + 1, i) for s, d in enumerate(depth) for i in range(d)]


def _rename_block_rest(key: str, rest: str) -> str:
    m = re.match(r'(?:mobile_inverted_conv|conv)\.(\w+)\.(.*)$', rest)
    if m is None:
        raise ToolError(f'{key}: unknown OFA block parameter')
    layer, tail = m.group(1), m.group(2)
    names = dict(_LAYER_NAMES)
    if layer not in names:
        raise ToolError(f'{key}: unknown OFA layer `{layer}`')
    if layer == 'depth_conv' and tail.startswith('se.fc.'):
        tail = tail[len('se.fc.'):]
        for old, new in (('reduce.', 'se.conv1.conv.'),
                         ('expand.', 'se.conv2.conv.')):
            if tail.startswith(old):
                return new + tail[len(old):]
        raise ToolError(f'{key}: unknown OFA SE parameter')
    ours = names[layer]
    # dynamic layers wrap the op once more (conv.conv / bn.bn)
    tail = re.sub(r'^conv\.conv\.', 'conv.', tail)
    tail = re.sub(r'^bn\.bn\.', 'bn.', tail)
    tail = re.sub(r'^conv\.(\d+)to(\d+)_matrix$', r'conv.trans_matrix_\1to\2',
                  tail)
    return f'{ours}.{tail}'


def _rename(key: str, table) -> str:
    if key.startswith('module.'):
        key = key[len('module.'):]
    if key.startswith('classifier.linear.'):
        rest = key[len('classifier.linear.'):]
        rest = rest[len('linear.'):] if rest.startswith('linear.') else rest
        return 'architecture.head.fc.' + rest
    m = re.match(r'blocks\.(\d+)\.(.*)$', key)
    if m is not None:
        idx = int(m.group(1))
        if idx >= len(table):
            raise ToolError(f'{key}: block {idx} beyond the {len(table)} '
                            'blocks of --depth')
        stage, pos = table[idx]
        return (f'architecture.backbone.layer{stage}.{pos}.' +
                _rename_block_rest(key, m.group(2)))
    for top in ('first_conv', 'final_expand_layer', 'feature_mix_layer'):
        if key.startswith(top + '.'):
            tail = key[len(top) + 1:]
            tail = re.sub(r'^conv\.conv\.', 'conv.', tail)
            tail = re.sub(r'^bn\.bn\.', 'bn.', tail)
            prefix = top if top == 'first_conv' else f'last_conv.{top}'
            return f'architecture.backbone.{prefix}.{tail}'
    raise ToolError(f'{key}: unknown OFA parameter')


def convert(state_dict: dict, depth: Sequence[int] = DEFAULT_DEPTH) -> dict:
    """Rename the official keys.

    Raises:
        ToolError: An unknown key or a block beyond ``depth``.
    """
    table = block_table(depth)
    return OrderedDict(
        (_rename(key, table), value) for key, value in state_dict.items())


def main(argv=None):
    args = parse_args(argv)
    checkpoint = load_source_checkpoint(args.checkpoint)
    state_dict = checkpoint.get('state_dict', checkpoint)
    new_ckpt = dict(state_dict=convert(state_dict, args.depth))
    return save_converted(new_ckpt,
                          converted_path(args.checkpoint, args.inplace))


if __name__ == '__main__':
    run_tool(main)
