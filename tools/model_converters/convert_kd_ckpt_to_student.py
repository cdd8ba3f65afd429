# Copyright (c) OpenMMLab. All rights reserved.
"""Extract the student of a distillation checkpoint.

Keeps the ``architecture.*`` keys of a KD algorithm checkpoint (prefix
stripped; teacher, distiller and generator keys are dropped) plus
``meta``, and writes ``<name>_student.pth`` (``--out-path`` or
``--inplace`` to choose otherwise). The result loads directly into the
student model (e.g. with tools/test.py and the student's own config).
"""
import argparse
import os.path as osp
import sys
from collections import OrderedDict

sys.path.insert(0,
                osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__)))))

from mmrazor.utils.ckpt_converter import (  # noqa
    load_source_checkpoint, save_converted)
from mmrazor.utils.cli import ToolError, add_common_args, run_tool  # noqa

PREFIX = 'architecture.'


def parse_args(argv=None):
    parser = argparse.ArgumentParser(
        description='Convert a KD checkpoint to a student-only checkpoint')
    parser.add_argument('checkpoint', help='input checkpoint path')
    parser.add_argument('--out-path', help='output checkpoint path')
    parser.add_argument(
        '--inplace', action='store_true', help='overwrite the input')
    add_common_args(parser)
    return parser.parse_args(argv)


def convert(state_dict: dict) -> OrderedDict:
    """``architecture.*`` without the prefix.

    Args:
        state_dict (dict): The algorithm's state dict.

    Returns:
        OrderedDict: The student's state dict.

    Raises:
        ToolError: No ``architecture.`` key.
    """
    out = OrderedDict((key[len(PREFIX):], value)
                      for key, value in state_dict.items()
                      if key.startswith(PREFIX))
    if not out:
        raise ToolError(f'no {PREFIX!r} keys in the checkpoint: is it a '
                        'distillation (algorithm) checkpoint?')
    return out


def save_atomic(obj: dict, out_path: str) -> None:
    """``torch.save`` through :func:`mmrazor.utils.atomic_write`."""
    from mmrazor.utils.ckpt_converter import save_checkpoint_atomic
    save_checkpoint_atomic(obj, out_path)


def main(argv=None):
    args = parse_args(argv)
    checkpoint = load_source_checkpoint(args.checkpoint)
    state_dict = checkpoint.get('state_dict', checkpoint)
    new_ckpt = {'state_dict': convert(state_dict)}
    if 'meta' in checkpoint:
        new_ckpt['meta'] = checkpoint['meta']
    if args.inplace:
        out_path = args.checkpoint
    elif args.out_path:
        out_path = args.out_path
    else:
        out_path = osp.splitext(args.checkpoint)[0] + '_student.pth'
    return save_converted(new_ckpt, out_path)


if __name__ == '__main__':
    run_tool(main)
