# Copyright (c) OpenMMLab. All rights reserved.
"""Convert an official AttentiveNAS supernet checkpoint to MMRazor BigNAS.

``module.`` becomes ``architecture.backbone.``; the flat block list
``blocks.N`` becomes ``layer{X}.{Y}`` by the AttentiveNAS stage depths
(2, 5, 6, 6, 8, 8, 2); the official layer names become those of
``MBBlock`` / ``ConvModule`` (``mobile_inverted_conv.inverted_bottleneck``
-> ``expand_conv``, ``depth_conv`` -> ``depthwise_conv``, ``se.fc.reduce``
/ ``se.fc.expand`` -> ``se.conv1.conv`` / ``se.conv2.conv``,
``point_linear`` -> ``linear_conv``, the wrapped ``conv.conv`` / ``bn.bn``
-> ``conv`` / ``bn``); ``classifier.linear.linear`` becomes
``architecture.head.fc``. Writes ``<name>_latest.pth`` unless
``--inplace``.
"""
import os.path as osp
import re
import sys
from collections import OrderedDict
from typing import List, Tuple

sys.path.insert(0,
                osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__)))))

from mmrazor.utils.ckpt_converter import (  # noqa
    converted_path, load_source_checkpoint, parse_converter_args,
    save_converted)
from mmrazor.utils.cli import ToolError, run_tool  # noqa

STAGE_DEPTHS = (2, 5, 6, 6, 8, 8, 2)

# (official, ours) substring renames inside a block, applied in order
BLOCK_RENAMES = (
    ('mobile_inverted_conv.inverted_bottleneck.conv.conv.',
     'expand_conv.conv.'),
    ('mobile_inverted_conv.inverted_bottleneck.bn.bn.', 'expand_conv.bn.'),
    ('mobile_inverted_conv.depth_conv.se.fc.reduce.', 'se.conv1.conv.'),
    ('mobile_inverted_conv.depth_conv.se.fc.expand.', 'se.conv2.conv.'),
    ('mobile_inverted_conv.depth_conv.conv.conv.', 'depthwise_conv.conv.'),
    ('mobile_inverted_conv.depth_conv.bn.bn.', 'depthwise_conv.bn.'),
    ('mobile_inverted_conv.point_linear.conv.conv.', 'linear_conv.conv.'),
    ('mobile_inverted_conv.point_linear.bn.bn.', 'linear_conv.bn.'),
    ('shortcut.conv.conv.', 'shortcut.conv.conv.'),
)
TOP_RENAMES = (
    ('first_conv.conv.conv.', 'first_conv.conv.'),
    ('first_conv.bn.bn.', 'first_conv.bn.'),
    ('last_conv.final_expand_layer.conv.conv.',
     'last_conv.final_expand_layer.conv.'),
    ('last_conv.final_expand_layer.bn.bn.',
     'last_conv.final_expand_layer.bn.'),
    ('last_conv.feature_mix_layer.conv.conv.',
     'last_conv.feature_mix_layer.conv.'),
)


def block_table(depths=STAGE_DEPTHS) -> List[Tuple[int, int]]:
    """``blocks.N`` -> ``(stage, index)`` (stages from 1)."""
    return [(s + 1, i) for s, d in enumerate(depths) for i in range(d)]


def parse_args(argv=None):
    return parse_converter_args(
        'Convert an official AttentiveNAS checkpoint to MMRazor', argv)


def _rename(key: str, table) -> str:
    if key.startswith('module.'):
        key = key[len('module.'):]
    if key.startswith('classifier.linear.linear.'):
        return 'architecture.head.fc.' + key[len('classifier.linear.'
                                                 'linear.'):]
    match = re.match(r'blocks\.(\d+)\.(.*)$', key)
    if match is not None:
        idx = int(match.group(1))
        if idx >= len(table):
            raise ToolError(f'{key}: block {idx} beyond the {len(table)} '
                            'blocks of the AttentiveNAS supernet')
        stage, pos = table[idx]
        rest = match.group(2)
        for old, new in BLOCK_RENAMES:
            if rest.startswith(old):
                rest = new + rest[len(old):]
                break
        else:
            raise ToolError(f'{key}: unknown AttentiveNAS block parameter')
        return f'architecture.backbone.layer{stage}.{pos}.{rest}'
    for old, new in TOP_RENAMES:
        if key.startswith(old):
            return 'architecture.backbone.' + new + key[len(old):]
    raise ToolError(f'{key}: unknown AttentiveNAS parameter')


def convert(state_dict: dict) -> OrderedDict:
    """Rename the official keys.

    Raises:
        ToolError: An unknown key (not an AttentiveNAS checkpoint).
    """
    table = block_table()
    return OrderedDict(
        (_rename(key, table), value) for key, value in state_dict.items())


def main(argv=None):
    args = parse_args(argv)
    checkpoint = load_source_checkpoint(args.checkpoint)
    state_dict = checkpoint.get('state_dict', checkpoint.get(
        'model', checkpoint))
    new_ckpt = dict(state_dict=convert(state_dict))
    return save_converted(new_ckpt,
                          converted_path(args.checkpoint, args.inplace))


if __name__ == '__main__':
    run_tool(main)
