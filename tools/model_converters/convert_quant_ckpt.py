# Copyright (c) OpenMMLab. All rights reserved.
"""Extract the deployable 'predict' graph of a quantization checkpoint.

Keeps the ``qmodels.predict.*`` keys of an ``MMArchitectureQuant``
checkpoint (prefix stripped) and renames the weight fake-quant observers'
``..._val`` buffers to ``..._vals`` (the names mmdeploy expects), then
writes ``<name>_deploy.pth`` (or overwrites the input with ``--inplace``).
"""
import argparse
import os.path as osp
import sys
from collections import OrderedDict

import torch

sys.path.insert(0,
                osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__)))))

from mmrazor.utils.cli import ToolError, add_common_args, run_tool  # noqa

PREFIX = 'qmodels.predict.'


def parse_args(argv=None):
    parser = argparse.ArgumentParser(
        description='Convert a quantization checkpoint for deployment')
    parser.add_argument('checkpoint', help='input checkpoint path')
    parser.add_argument('--out-path', help='output checkpoint path')
    parser.add_argument(
        '--inplace', action='store_true', help='overwrite the input')
    add_common_args(parser)
    return parser.parse_args(argv)


def convert(state_dict: dict) -> OrderedDict:
    """``qmodels.predict.*`` without the prefix; weight fake-quant
    ``_val`` → ``_vals``.

    Args:
        state_dict (dict): The algorithm's state dict.

    Returns:
        OrderedDict: The deploy state dict.

    Raises:
        ToolError: No ``qmodels.predict.`` key.
    """
    out = OrderedDict()
    for key, value in state_dict.items():
        if not key.startswith(PREFIX):
            continue
        new_key = key[len(PREFIX):]
        if 'weight_fake_quant' in new_key and new_key.endswith('_val'):
            new_key = new_key + 's'
        out[new_key] = value
    if not out:
        raise ToolError(f'no {PREFIX!r} keys in the checkpoint: is it an '
                        'MMArchitectureQuant checkpoint?')
    return out


def main(argv=None):
    args = parse_args(argv)
    if not osp.isfile(args.checkpoint):
        raise FileNotFoundError(
            f'checkpoint {args.checkpoint!r} does not exist')
    from mmrazor.engine.runner.checkpoint import safe_torch_load
    checkpoint = safe_torch_load(args.checkpoint, map_location='cpu')
    state_dict = checkpoint.get('state_dict', checkpoint)
    new_ckpt = {'state_dict': convert(state_dict)}
    if 'meta' in checkpoint:
        new_ckpt['meta'] = checkpoint['meta']
    if args.inplace:
        out_path = args.checkpoint
    elif args.out_path:
        out_path = args.out_path
    else:
        out_path = osp.splitext(args.checkpoint)[0] + '_deploy.pth'
    from mmrazor.utils import atomic_write
    atomic_write(out_path, lambda tmp: torch.save(new_ckpt, tmp))
    print(f'saved {len(new_ckpt["state_dict"])} tensors to {out_path}')
    return out_path


if __name__ == '__main__':
    run_tool(main)
