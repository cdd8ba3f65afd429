# Copyright (c) OpenMMLab. All rights reserved.
"""Convert an MMRazor 0.x distillation checkpoint to the 1.x layout.

0.x stored the student under ``architecture.model.`` and the teacher under
``architecture.model.distiller.teacher.``; 1.x uses ``architecture.`` and
``teacher.`` (applied in that order: teacher first). Writes
``<name>_latest.pth`` unless ``--inplace``.
"""
import os.path as osp
import sys
from collections import OrderedDict

sys.path.insert(0,
                osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__)))))

from mmrazor.utils.ckpt_converter import (  # noqa
    converted_path, load_source_checkpoint, parse_converter_args,
    save_converted)
from mmrazor.utils.cli import ToolError, run_tool  # noqa

RENAMES = (
    ('architecture.model.distiller.teacher.', 'teacher.'),
    ('distiller.teacher.', 'teacher.'),
    ('architecture.model.', 'architecture.'),
)


def parse_args(argv=None):
    return parse_converter_args('Convert a 0.x KD checkpoint to MMRazor 1.x',
                                argv)


def convert(state_dict: dict) -> OrderedDict:
    """Rename the 0.x keys.

    Args:
        state_dict (dict): The 0.x state dict.

    Returns:
        OrderedDict: The 1.x state dict.

    Raises:
        ToolError: Nothing to rename (not a 0.x KD checkpoint).
    """
    out, renamed = OrderedDict(), 0
    for key, value in state_dict.items():
        new_key = key
        for old, new in RENAMES:
            if key.startswith(old):
                new_key = new + key[len(old):]
                renamed += 1
                break
        out[new_key] = value
    if not renamed:
        raise ToolError('no 0.x key (architecture.model.*) in the '
                        'checkpoint: it is not a 0.x KD checkpoint')
    return out


def save_atomic(obj: dict, out_path: str) -> None:
    """``torch.save`` through :func:`mmrazor.utils.atomic_write`."""
    from mmrazor.utils.ckpt_converter import save_checkpoint_atomic
    save_checkpoint_atomic(obj, out_path)


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
