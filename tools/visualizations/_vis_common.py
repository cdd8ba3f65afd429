# Copyright (c) OpenMMLab. All rights reserved.
"""Helpers shared by the feature visualization tools."""
import argparse
import os.path as osp
from typing import Dict, List, Optional

import numpy as np
import torch


def add_drawing_args(parser: argparse.ArgumentParser) -> None:
    """The drawing options of ``feature_visualization.py`` and
    ``feature_diff_visualization.py``."""
    parser.add_argument('--out-file', default=None, help='Path to the PNG')
    parser.add_argument(
        '--device', default='cpu', help='Device used for inference')
    parser.add_argument(
        '--repo',
        default=None,
        help='the upstream package of the model (mmcls, mmdet, mmseg); '
        "defaults to the config's default_scope")
    parser.add_argument(
        '--use-norm',
        action='store_true',
        help='standardise each channel of the features')
    parser.add_argument(
        '--overlaid', action='store_true', help='draw over the image')
    parser.add_argument(
        '--channel-reduction',
        default='pixel_wise_max',
        choices=['squeeze_mean', 'select_max', 'pixel_wise_max', 'none'],
        help="channel reduction; 'none' draws the top-k channels")
    parser.add_argument(
        '--topk',
        type=int,
        default=20,
        help='channels drawn without '
        'reduction')
    parser.add_argument(
        '--arrangement',
        nargs=2,
        type=int,
        default=[4, 5],
        help='rows and columns of the top-k grid')
    parser.add_argument(
        '--resize-shape',
        nargs=2,
        type=int,
        default=None,
        help='(H, W) each feature map is resized to')
    parser.add_argument(
        '--alpha', type=float, default=0.5, help='heatmap weight')
    parser.add_argument('--local_rank', type=int, default=0)


def vis_cfg(args) -> dict:
    """The ``modify`` arguments of the command line."""
    return dict(
        channel_reduction=None
        if args.channel_reduction == 'none' else args.channel_reduction,
        topk=args.topk,
        arrangement=tuple(args.arrangement),
        resize_shape=tuple(args.resize_shape) if args.resize_shape else None,
        alpha=args.alpha)


def build_model(cfg, checkpoint: str, device: str, repo: Optional[str]):
    """Build ``cfg.model`` and load ``checkpoint`` ('none': no weights)."""
    from mmengine.registry import DefaultScope
    from mmengine.runner import load_checkpoint

    from mmrazor.registry import MODELS
    from mmrazor.utils import register_all_modules
    from mmrazor.utils.cli import ToolError
    register_all_modules(False)
    scope = repo or cfg.get('default_scope', 'mmrazor')
    with DefaultScope.overwrite_default_scope(scope):
        model = MODELS.build(cfg.model)
    if checkpoint and checkpoint.lower() != 'none':
        if not osp.isfile(checkpoint):
            raise ToolError(f'checkpoint {checkpoint!r} does not exist')
        load_checkpoint(model, checkpoint, map_location='cpu')
    return model.to(device).eval(), scope


def _in_channels(model) -> int:
    for m in model.modules():
        if isinstance(m, torch.nn.Conv2d):
            return m.in_channels
    return 3


def load_sample(img: str, cfg, model, scope: str) -> dict:
    """The image as a model input sample (``inputs`` (C, H, W)).

    Configs whose test pipeline loads files get it applied; otherwise the
    image is converted to the model's channels and resized to the config's
    ``img_size`` if it has one.
    """
    import cv2
    from mmengine.registry import DefaultScope

    from mmrazor.utils.cli import ToolError
    if not osp.isfile(img):
        raise ToolError(f'image {img!r} does not exist')
    pipeline = None
    loader = cfg.get('test_dataloader') or cfg.get('val_dataloader')
    if loader is not None:
        pipeline = loader.get('dataset', {}).get('pipeline')
    if pipeline and 'LoadImageFromFile' in str(pipeline[0].get('type')):
        from mmengine.dataset import Compose
        with DefaultScope.overwrite_default_scope(scope):
            return Compose(pipeline)(dict(img_path=img))
    image = cv2.imread(img, cv2.IMREAD_COLOR)
    if image is None:
        raise ToolError(f'cannot read the image {img!r}')
    image = cv2.cvtColor(image, cv2.COLOR_BGR2RGB)
    size = cfg.get('img_size')
    if size:
        image = cv2.resize(
            image, (int(size), int(size)), interpolation=cv2.INTER_AREA)
    if _in_channels(model) == 1:
        image = cv2.cvtColor(image, cv2.COLOR_RGB2GRAY)[..., None]
    return dict(
        inputs=torch.from_numpy(
            np.ascontiguousarray(image.transpose(2, 0, 1))))


def record(model, sample: dict, recorders: Dict):
    """Run ``model`` on ``sample`` with ``recorders`` recording."""
    from mmengine.dataset import pseudo_collate
    from mmengine.registry import DefaultScope

    from mmrazor.models.task_modules import RecorderManager
    from mmrazor.utils.config_dict import as_config_dict
    with DefaultScope.overwrite_default_scope('mmrazor'):
        manager = RecorderManager(as_config_dict(recorders))
    manager.initialize(model)
    with torch.no_grad(), manager:
        model.test_step(pseudo_collate([sample]))
    return manager


def output_paths(out_file: str, names: List[str]) -> Dict[str, str]:
    """``out_file`` for one drawing, ``{stem}_{name}.png`` for several."""
    if len(names) == 1:
        return {names[0]: out_file}
    stem = osp.splitext(out_file)[0]
    return {name: f'{stem}_{name}.png' for name in names}


def save_or_show(drawn: Dict[str, np.ndarray], out_file: Optional[str]):
    """Write the drawings (atomic PNGs) or show them."""
    from mmrazor.visualization import write_png
    if out_file:
        if osp.splitext(out_file)[1].lower() != '.png':
            from mmrazor.utils.cli import ToolError
            raise ToolError(f'--out-file must be a .png file, got '
                            f'{out_file!r}')
        paths = output_paths(out_file, list(drawn))
        for name, img in drawn.items():
            write_png(paths[name], img)
            print(f'{name}: {paths[name]}')
        return paths
    from mmengine.visualization import Visualizer
    visualizer = Visualizer.get_current_instance()
    for name, img in drawn.items():
        visualizer.show(img, win_name=name)
    return {}
