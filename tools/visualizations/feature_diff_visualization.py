# Copyright (c) OpenMMLab. All rights reserved.
"""Draw the difference between the feature maps of two models (e.g. a
student and its teacher) on one image.

    python tools/visualizations/feature_diff_visualization.py IMG CONFIG1 \
        CONFIG2 VIS_CONFIG CHECKPOINT1 CHECKPOINT2 --out-file diff.png

``VIS_CONFIG`` holds ``recorders1``/``mappings1`` (model 1) and
``recorders2``/``mappings2`` (model 2) with the same mapping names; each
pair of maps is standardised per channel and subtracted.
"""
import argparse
import os.path as osp
import sys

from mmrazor.utils.cli import ToolError, load_config, run_tool

sys.path.insert(0, osp.dirname(osp.abspath(__file__)))
import _vis_common as vc  # noqa: E402 isort:skip


def parse_args(argv=None):
    parser = argparse.ArgumentParser(
        description='Feature map difference visualization')
    parser.add_argument('img', help='Image file')
    parser.add_argument('config1', help='Config file of model 1')
    parser.add_argument('config2', help='Config file of model 2')
    parser.add_argument('vis_config', help='Recorders and mappings')
    parser.add_argument('checkpoint1', help="Checkpoint 1 ('none' allowed)")
    parser.add_argument('checkpoint2', help="Checkpoint 2 ('none' allowed)")
    vc.add_drawing_args(parser)
    return parser.parse_args(argv)


def main(argv=None):
    from mmrazor.visualization import (draw_features, norm_features,
                                       recorded_features, to_rgb_image)
    args = parse_args(argv)
    vis = load_config(args.vis_config)
    for key in ('recorders1', 'recorders2', 'mappings1', 'mappings2'):
        if key not in vis:
            raise ToolError(f'{args.vis_config} has no {key!r}')
    feats, sample = [], None
    for config, checkpoint, index in ((args.config1, args.checkpoint1, 1),
                                      (args.config2, args.checkpoint2, 2)):
        cfg = load_config(config)
        model, scope = vc.build_model(cfg, checkpoint, args.device, args.repo)
        sample = vc.load_sample(args.img, cfg, model, scope)
        manager = vc.record(model, sample, vis[f'recorders{index}'])
        feats.append(recorded_features(manager, vis[f'mappings{index}']))
    if set(feats[0]) != set(feats[1]):
        raise ToolError(f'mappings1 gives {sorted(feats[0])}, mappings2 '
                        f'gives {sorted(feats[1])}: they must match')
    diffs = {}
    for name, feat1 in feats[0].items():
        feat2 = feats[1][name]
        if feat1.shape != feat2.shape:
            raise ToolError(
                f'{name}: the maps have shapes {tuple(feat1.shape)}'
                f' and {tuple(feat2.shape)}')
        diffs[name] = norm_features(feat1) - norm_features(feat2)
    image = to_rgb_image(sample['inputs']) if args.overlaid else None
    drawn = draw_features(diffs, image, False, **vc.vis_cfg(args))
    return vc.save_or_show(drawn, args.out_file)


if __name__ == '__main__':
    run_tool(main)
