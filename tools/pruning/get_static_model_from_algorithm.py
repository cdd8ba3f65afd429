# Copyright (c) OpenMMLab. All rights reserved.
"""Export the static pruned model of a pruning-algorithm checkpoint.

    python tools/pruning/get_static_model_from_algorithm.py CONFIG CKPT
        [-o OUT_DIR]

Writes ``<ckpt>_pruned.pth`` (static state dict of the architecture),
``<ckpt>_pruned.json`` (the choice template) and
``<ckpt>_pruned_structure.png`` (the channels each conv/linear layer keeps,
before and after pruning).
"""
import argparse
import os.path as osp
import sys

import torch

sys.path.insert(0, osp.dirname(osp.abspath(__file__)))
from _common import build_model, load_config, write_json  # noqa: E402

from mmrazor.utils.cli import ToolError  # noqa: E402


def parse_args(argv=None):
    parser = argparse.ArgumentParser(
        description='Export a static model from a pruning algorithm.')
    parser.add_argument('config', help='config of the algorithm')
    parser.add_argument('checkpoint', help='checkpoint of the algorithm')
    parser.add_argument('-o', default=None, help='output directory')
    return parser.parse_args(argv)


def main(argv=None):
    args = parse_args(argv)
    from mmengine.runner import load_checkpoint

    from mmrazor.structures.subnet import export_fix_subnet
    cfg = load_config(args.config)
    if not osp.exists(args.checkpoint):
        raise ToolError(f'checkpoint {args.checkpoint} not found')
    out_dir = args.o or osp.join('work_dirs',
                                 osp.splitext(osp.basename(args.config))[0])
    # no pretrained init: the checkpoint provides every weight
    cfg.model.get('architecture', {}).pop('init_cfg', None)
    model = build_model(cfg)
    if not hasattr(model, 'mutator'):
        raise ToolError(f'{type(model).__name__} has no channel '
                        'mutator; expected a pruning algorithm config')
    load_checkpoint(model, args.checkpoint, map_location='cpu')
    model.eval()
    choices = model.mutator.current_choices
    _, static = export_fix_subnet(
        model, export_subnet_mode='mutator', slice_weight=True)
    arch = static.architecture
    name = osp.splitext(osp.basename(args.checkpoint))[0]
    pth = osp.join(out_dir, f'{name}_pruned.pth')
    js = osp.join(out_dir, f'{name}_pruned.json')
    from mmrazor.utils import atomic_write
    state_dict = arch.state_dict()
    atomic_write(pth,
                 lambda tmp: torch.save(dict(state_dict=state_dict, meta={}),
                                        tmp))
    write_json(choices, js)
    from mmrazor.visualization import layer_channels, plot_pruning_structure
    png = plot_pruning_structure(
        layer_channels(model.architecture),
        layer_channels(arch),
        osp.join(out_dir, f'{name}_pruned_structure.png'),
        title=f'{name}: kept channels per layer')
    print(f'saved {pth}, {js} and {png}')
    return pth, js, arch


if __name__ == '__main__':
    from mmrazor.utils.cli import run_tool
    run_tool(main)
