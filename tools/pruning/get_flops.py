# Copyright (c) OpenMMLab. All rights reserved.
"""Print the FLOPs and parameters of a model (pruned ones included).

    python tools/pruning/get_flops.py CONFIG [-H 224] [-W 224] [-C 3]
        [--cfg-options key=value ...]
"""
import argparse
import os.path as osp
import sys

from mmengine.config import DictAction

sys.path.insert(0, osp.dirname(osp.abspath(__file__)))
from _common import build_model, load_config  # noqa: E402


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description='Get FLOPs of a model.')
    parser.add_argument('config', help='config of the model')
    parser.add_argument('-H', type=int, default=224, help='input height')
    parser.add_argument('-W', type=int, default=224, help='input width')
    parser.add_argument('-C', type=int, default=3, help='input channels')
    parser.add_argument(
        '--cfg-options',
        nargs='+',
        action=DictAction,
        help='override config settings, e.g. model.fix_subnet=x.json')
    return parser.parse_args(argv)


def main(argv=None) -> dict:
    args = parse_args(argv)
    import torch

    from mmrazor.models.algorithms import BaseAlgorithm
    from mmrazor.models.task_modules.estimators import ResourceEstimator
    cfg = load_config(args.config, args.cfg_options)
    model = build_model(cfg)
    model.eval()
    arch = model.architecture if isinstance(model, BaseAlgorithm) else model
    if hasattr(arch, 'extract_feat'):
        arch = _ExtractFeat(arch)
    estimator = ResourceEstimator(input_shape=(1, args.C, args.H, args.W))
    with torch.no_grad():
        result = estimator.estimate(arch)
    print(f"FLOPs: {result['flops']:.4f} M  params: "
          f"{result['params']:.4f} M  input: (1, {args.C}, {args.H}, "
          f'{args.W})')
    return result


class _ExtractFeat(__import__('torch').nn.Module):
    """Counts backbone + neck + head-free tensor forward of mm models."""

    def __init__(self, model):
        super().__init__()
        self.model = model

    def forward(self, x):
        return self.model(x, None, mode='tensor')


if __name__ == '__main__':
    from mmrazor.utils.cli import run_tool
    run_tool(main)
