# Copyright (c) OpenMMLab. All rights reserved.
import copy
import os.path as osp
from typing import Dict, Optional, Sequence

import torch
from mmengine.dataset import pseudo_collate
from mmengine.hooks import Hook
from mmengine.model import is_model_wrapper

from mmrazor.registry import HOOKS
from mmrazor.utils.config_dict import as_config_dict

DEFAULT_VIS_CFG = dict(
    channel_reduction='pixel_wise_max',
    topk=20,
    arrangement=(4, 5),
    resize_shape=None,
    alpha=0.5)


@HOOKS.register_module()
class RazorVisualizationHook(Hook):
    """Draw intermediate feature maps of one validation sample during
    training.

    Recorders (as in distillation configs) record the model's outputs on
    the sample (a ``tensor`` forward of the model and, for distillation
    algorithms, of the teacher); each mapped record is drawn with
    :func:`mmrazor.visualization.modify` (over the input image when
    ``is_overlaid``) before training and after every ``interval`` epochs,
    and written as ``{out_dir}/{name}_{tag}.png`` (atomically).

    Args:
        recorders (dict): ``{name: recorder cfg}`` on the model the runner
            trains (sources relative to it).
        mappings (dict): ``{name: dict(recorder=..., data_idx=None)}``.
        enabled (bool): Draw at all. Defaults to False.
        data_idx (int | Sequence[int]): The validation sample(s) drawn.
            Defaults to 0.
        interval (int): Draw every ``interval`` epochs. Defaults to 1.
        show (bool): Also show the images in a window. Defaults to False.
        wait_time (float): Seconds a shown image stays. Defaults to 0.1.
        out_dir (str, optional): The PNG folder. Defaults to
            ``{work_dir}/{timestamp}/vis_feature``.
        file_client_args (dict): Accepted for compatibility (local files).
        is_overlaid (bool): Draw over the input image. Defaults to True.
        visualization_cfg (dict): Arguments of ``modify`` (channel
            reduction, top-k, arrangement, resize shape, alpha).
        use_norm (bool): Standardise each channel before drawing.
            Defaults to False.
    """

    priority = 'LOW'

    def __init__(self,
                 recorders: Dict,
                 mappings: Dict,
                 enabled: bool = False,
                 data_idx: Sequence[int] = 0,
                 interval: int = 1,
                 show: bool = False,
                 wait_time: float = 0.1,
                 out_dir: Optional[str] = None,
                 file_client_args: Dict = dict(backend='disk'),
                 is_overlaid: bool = True,
                 visualization_cfg: Dict = DEFAULT_VIS_CFG,
                 use_norm: bool = False) -> None:
        from mmengine.registry import DefaultScope

        from mmrazor.models.task_modules import RecorderManager
        if not isinstance(interval, int) or interval < 1:
            raise ValueError('RazorVisualizationHook: interval must be a '
                             f'positive int, got {interval!r}')
        mappings = as_config_dict(mappings)
        if not isinstance(mappings, dict) or not mappings:
            raise TypeError('RazorVisualizationHook: mappings must be a '
                            'non-empty dict {name: dict(recorder=...)}')
        # recorders are MMRazor's whatever the config's default scope
        with DefaultScope.overwrite_default_scope('mmrazor'):
            self.recorder_manager = RecorderManager(as_config_dict(recorders))
        for name, mapping in mappings.items():
            if mapping.get('recorder') not in self.recorder_manager:
                raise KeyError(
                    f'RazorVisualizationHook: mapping {name!r} names the '
                    f'recorder {mapping.get("recorder")!r}; recorders are '
                    f'{sorted(self.recorder_manager.recorders)}')
        self.mappings = mappings
        self.enabled = enabled
        self.data_idx = [data_idx] if isinstance(data_idx, int) \
            else list(data_idx)
        self.interval = interval
        self.show = show
        self.wait_time = wait_time
        self.out_dir = out_dir
        self.file_client_args = file_client_args
        self.is_overlaid = is_overlaid
        vis_cfg = dict(DEFAULT_VIS_CFG)
        vis_cfg.update(copy.deepcopy(dict(visualization_cfg)))
        self.visualization_cfg = vis_cfg
        self.use_norm = use_norm
        self._initialized = False
        self.written = []

    def before_train(self, runner) -> None:
        """Draw the untrained model's features."""
        if self.enabled:
            self._draw(runner, 'before_train')

    def after_train_epoch(self, runner) -> None:
        """Draw every ``interval`` epochs."""
        if self.enabled and self.every_n_epochs(runner, self.interval):
            self._draw(runner, f'epoch{runner.epoch + 1}')

    def _dataset(self, runner):
        loader = runner.val_dataloader if runner.val_loop is not None \
            else runner.train_dataloader
        return loader.dataset

    @torch.no_grad()
    def _draw(self, runner, tag: str) -> None:
        from mmrazor.visualization import (draw_features, recorded_features,
                                           to_rgb_image, write_png)
        model = runner.model.module if is_model_wrapper(runner.model) \
            else runner.model
        if not self._initialized:
            self.recorder_manager.initialize(model)
            self._initialized = True
        out_dir = self.out_dir or osp.join(runner.work_dir, runner.timestamp,
                                           'vis_feature')
        dataset = self._dataset(runner)
        was_training = model.training
        model.eval()
        try:
            for idx in self.data_idx:
                sample = dataset[idx]
                data = model.data_preprocessor(pseudo_collate([sample]), False)
                with self.recorder_manager:
                    model(**data, mode='tensor')
                    teacher = getattr(model, 'teacher', None)
                    if teacher is not None:
                        # distillation: the teacher's features too
                        teacher(**data, mode='tensor')
                image = to_rgb_image(sample['inputs']) \
                    if self.is_overlaid else None
                drawn = draw_features(
                    recorded_features(self.recorder_manager, self.mappings),
                    image, self.use_norm, **self.visualization_cfg)
                for name, img in drawn.items():
                    path = osp.join(out_dir, f'{name}_sample{idx}_{tag}.png')
                    self.written.append(write_png(path, img))
                    if self.show:
                        runner.visualizer.show(
                            img, win_name=name, wait_time=self.wait_time)
        finally:
            model.train(was_training)
