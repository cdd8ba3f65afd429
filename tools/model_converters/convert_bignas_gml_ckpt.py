# Copyright (c) OpenMMLab. All rights reserved.
"""Convert a GML BigNAS checkpoint to the MMRazor BigNAS layout.

Renames ``model.`` to ``architecture.`` and the stage list ``blocks.{i}``
(i = 0..6) to ``layer{i + 1}`` of ``AttentiveMobileNetV3``. Writes
``<name>_latest.pth`` unless ``--inplace``.
"""
import os.path as osp
import re
import sys
from collections import OrderedDict

sys.path.insert(0,
                osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__)))))

from mmrazor.utils.ckpt_converter import (  # noqa
    converted_path, load_source_checkpoint, parse_converter_args,
    save_converted)
from mmrazor.utils.cli import ToolError, run_tool  # noqa

_BLOCKS = re.compile(r'(^|\.)blocks\.(\d+)\.')


def parse_args(argv=None):
    return parse_converter_args('Convert a GML BigNAS checkpoint to MMRazor',
                                argv)


def convert(state_dict: dict) -> OrderedDict:
    """Rename the GML keys.

    Raises:
        ToolError: No ``model.`` key, or a stage index outside 0..6.
    """
    out = OrderedDict()
    if not any(k.startswith('model.') for k in state_dict):
        raise ToolError('no `model.*` key in the checkpoint: it is not a GML '
                        'BigNAS checkpoint')
    for key, value in state_dict.items():
        new = 'architecture.' + key[len('model.'):] \
            if key.startswith('model.') else key
        match = _BLOCKS.search(new)
        if match is not None:
            idx = int(match.group(2))
            if not 0 <= idx <= 6:
                raise ToolError(f'{key}: stage index {idx} outside 0..6')
            new = new[:match.start()] + match.group(1) + \
                f'layer{idx + 1}.' + new[match.end():]
        out[new] = value
    return out


def main(argv=None):
    args = parse_args(argv)
    checkpoint = load_source_checkpoint(args.checkpoint)
    state_dict = checkpoint.get('state_dict', checkpoint)
    new_ckpt = dict(checkpoint) if 'state_dict' in checkpoint else {}
    new_ckpt['state_dict'] = convert(state_dict)
    return save_converted(new_ckpt,
                          converted_path(args.checkpoint, args.inplace))


if __name__ == '__main__':
    run_tool(main)
