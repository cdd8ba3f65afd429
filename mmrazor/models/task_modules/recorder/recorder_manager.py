# Copyright (c) OpenMMLab. All rights reserved.
import copy
import warnings
from typing import Dict, Optional, Union

from mmengine.config import ConfigDict
from torch import nn

from mmrazor.registry import TASK_UTILS
from mmrazor.utils.config_dict import as_config_dict
from .base_recorder import BaseRecorder
from .utils import close_matches


class RecorderManager:
    """Build, initialize and enter several recorders together.

    ``type`` in each config may omit the ``Recorder`` suffix
    (``type='ModuleOutputs'`` builds ``ModuleOutputsRecorder``).

    Args:
        recorders (dict, optional): ``{name: recorder cfg or instance}``.

    Examples:
        >>> manager = RecorderManager(
        ...     dict(fc=dict(type='ModuleOutputs', source='fc')))
        >>> manager.initialize(model)
        >>> with manager:
        ...     model(x)
        >>> manager.get_recorder('fc').get_record_data()
    """

    def __init__(
        self,
        recorders: Optional[Dict[str, Union[Dict,
                                            BaseRecorder]]] = None) -> None:
        self._recorders: Dict[str, BaseRecorder] = dict()
        if recorders:
            recorders = as_config_dict(recorders)
            if not isinstance(recorders, dict):
                raise TypeError('recorders should be a dict of '
                                '{name: recorder cfg}, but got '
                                f'{type(recorders).__name__}')
            for name, cfg in recorders.items():
                self._recorders[name] = self.build_recorder(name, cfg)

    @staticmethod
    def build_recorder(name: str, cfg: Union[Dict,
                                             BaseRecorder]) -> BaseRecorder:
        """Build one recorder, appending the ``Recorder`` suffix."""
        if isinstance(cfg, BaseRecorder):
            return cfg
        if not isinstance(cfg, (dict, ConfigDict)) or 'type' not in cfg:
            raise TypeError(f'recorder {name!r}: expected a dict with a '
                            f'`type`, but got {cfg!r}')
        cfg = copy.deepcopy(cfg)
        if isinstance(cfg['type'], str) and \
                not cfg['type'].endswith('Recorder'):
            cfg['type'] = cfg['type'] + 'Recorder'
        recorder = TASK_UTILS.build(cfg)
        if not isinstance(recorder, BaseRecorder):
            raise TypeError(f'recorder {name!r}: {cfg["type"]} is not a '
                            'recorder')
        return recorder

    @property
    def recorders(self) -> Dict[str, BaseRecorder]:
        """dict: The recorders by name."""
        return self._recorders

    def get_recorder(self, recorder: str) -> BaseRecorder:
        """Get a recorder by name (error lists the known names)."""
        if recorder not in self._recorders:
            raise KeyError(f'No recorder named {recorder!r}; ' +
                           close_matches(recorder, list(self._recorders)))
        return self._recorders[recorder]

    def initialize(self, model: Optional[nn.Module] = None) -> None:
        """Initialize every recorder with ``model``."""
        for recorder in self._recorders.values():
            recorder.initialize(model)

    def __enter__(self) -> 'RecorderManager':
        entered = []
        try:
            for recorder in self._recorders.values():
                recorder.__enter__()
                entered.append(recorder)
        except BaseException:  # undo the entered ones, then re-raise
            for recorder in reversed(entered):
                recorder.__exit__(None, None, None)
            raise
        return self

    def __exit__(self, exc_type, exc_value, traceback) -> None:
        error = None
        # reverse order, so that stacked patches of one method unwind
        for recorder in reversed(list(self._recorders.values())):
            try:
                recorder.__exit__(exc_type, exc_value, traceback)
            except Exception as e:  # noqa: BLE001  keep restoring the others
                error = error or e
        if error is not None and exc_type is None:
            raise error
        if error is not None:
            # an error is already propagating: report this one, not lose it
            warnings.warn(
                f'{__name__}: restoring a recorder failed while handling '
                f'{exc_type.__name__}: {type(error).__name__}: {error}')

    def __len__(self) -> int:
        return len(self._recorders)

    def __contains__(self, name: str) -> bool:
        return name in self._recorders
