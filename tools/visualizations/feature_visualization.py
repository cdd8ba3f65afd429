# Copyright (c) OpenMMLab. All rights reserved.
"""Draw the feature maps a model computes on one image.

    python tools/visualizations/feature_visualization.py IMG CONFIG \
        VIS_CONFIG CHECKPOINT --out-file out.png [--overlaid] \
        [--channel-reduction pixel_wise_max] [--cfg-options ...]

``VIS_CONFIG`` holds ``recorders`` (what to record, relative to the model of
``CONFIG``) and ``mappings`` (``{name: dict(recorder=..., data_idx=...)}``),
e.g. ``tools/visualizations/vis_configs/backbone_feature_visualization.py``.
"""
import argparse
import os.path as osp
import sys

from mmrazor.utils.cli import add_cfg_options_arg, load_config, run_tool

sys.path.insert(0, osp.dirname(osp.abspath(__file__)))
import _vis_common as vc  # noqa: E402 isort:skip


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description='Feature map visualization')
    parser.add_argument('img', help='Image file')
    parser.add_argument('config', help='Config file of the model')
    parser.add_argument('vis_config', help='Recorders and mappings')
    parser.add_argument(
        'checkpoint', help="Checkpoint file ('none': initialised weights)")
    vc.add_drawing_args(parser)
    add_cfg_options_arg(parser)
    return parser.parse_args(argv)


def main(argv=None):
    from mmrazor.visualization import (draw_features, recorded_features,
                                       to_rgb_image)
    args = parse_args(argv)
    cfg = load_config(args.config, args.cfg_options)
    vis = load_config(args.vis_config)
    model, scope = vc.build_model(cfg, args.checkpoint, args.device, args.repo)
    sample = vc.load_sample(args.img, cfg, model, scope)
    manager = vc.record(model, sample, vis.recorders)
    image = to_rgb_image(sample['inputs']) if args.overlaid else None
    drawn = draw_features(
        recorded_features(manager, vis.mappings), image, args.use_norm,
        **vc.vis_cfg(args))
    return vc.save_or_show(drawn, args.out_file)


if __name__ == '__main__':
    run_tool(main)
