# Copyright (c) OpenMMLab. All rights reserved.
"""Slice a NAS supernet checkpoint to a subnet checkpoint.

Builds the runner of a NAS config with ``load_from=checkpoint``, fixes the
model to the subnet of ``yaml`` (``load_fix_subnet``) and saves
``{'state_dict', 'meta': {}}`` as ``subnet_<timestamp>.pth`` next to the
checkpoint.
"""
import argparse
import os
import os.path as osp
import tempfile
import time

import torch
from mmengine.config import DictAction
from mmengine.runner import Runner

from mmrazor.structures.subnet import load_fix_subnet
from mmrazor.utils import register_all_modules


def parse_args():
    parser = argparse.ArgumentParser(
        description='Convert a NAS supernet checkpoint to a subnet one')
    parser.add_argument('config', help='config of the NAS algorithm')
    parser.add_argument('checkpoint', help='supernet checkpoint')
    parser.add_argument('yaml', help='the subnet (fix_subnet yaml)')
    parser.add_argument(
        '--launcher',
        choices=['none', 'pytorch', 'slurm', 'mpi'],
        default='none',
        help='job launcher')
    parser.add_argument('--local_rank', '--local-rank', type=int, default=0)
    parser.add_argument(
        '--cfg-options',
        nargs='+',
        action=DictAction,
        help='override some settings in the used config')
    args = parser.parse_args()
    os.environ.setdefault('LOCAL_RANK', str(args.local_rank))
    return args


def main():
    register_all_modules(False)
    args = parse_args()
    for path in (args.config, args.checkpoint, args.yaml):
        if not osp.isfile(path):
            raise FileNotFoundError(f'{path} does not exist')
    from mmrazor.utils.cli import load_config
    cfg = load_config(args.config, args.cfg_options)
    cfg.launcher = args.launcher
    cfg.load_from = args.checkpoint
    cfg.setdefault('work_dir',
                   osp.join(tempfile.gettempdir(), 'convert_supernet2subnet'))

    runner = Runner.from_cfg(cfg)
    runner.load_or_resume()
    model = runner.model
    if hasattr(model, 'module'):
        model = model.module
    architecture = getattr(model, 'architecture', model)
    load_fix_subnet(architecture, args.yaml)

    timestamp = time.strftime('%Y%m%d_%H%M', time.localtime())
    out = osp.join(
        osp.dirname(osp.abspath(args.checkpoint)), f'subnet_{timestamp}.pth')
    from mmrazor.utils import atomic_write
    state_dict = architecture.state_dict()
    atomic_write(
        out, lambda tmp: torch.save({
            'state_dict': state_dict,
            'meta': {}
        }, tmp))
    print(f'Subnet checkpoint saved to {out}')


if __name__ == '__main__':
    from mmrazor.utils.cli import run_tool
    run_tool(main)
