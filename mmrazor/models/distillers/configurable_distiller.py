# Copyright (c) OpenMMLab. All rights reserved.
import inspect
import warnings
from typing import Any, Dict, List, Optional, Union

import torch.nn as nn
from mmengine.config import ConfigDict

from mmrazor.registry import MODELS
from mmrazor.utils.config_dict import as_config_dict
from ..task_modules.delivery import DistillDeliveryManager
from ..task_modules.recorder import RecorderManager
from .base_distiller import BaseDistiller

MAPPING_KEYS = ('recorder', 'from_student', 'record_idx', 'data_idx',
                'connector', 'connector_idx')


@MODELS.register_module()
class ConfigurableDistiller(BaseDistiller):
    """A distiller fully described by its config.

    Recorders collect the student's and the teacher's intermediate results;
    connectors transform them; ``loss_forward_mappings`` says which record
    feeds which argument of which loss::

        loss_forward_mappings=dict(
            loss_kl=dict(
                preds_S=dict(from_student=True, recorder='fc'),
                preds_T=dict(from_student=False, recorder='fc')))

    Each argument mapping takes ``recorder`` and ``from_student``
    (required), ``record_idx`` (which call, default 0), ``data_idx`` (which
    item of a tuple record), ``connector`` (a connector name) and
    ``connector_idx`` (which item of a tuple connector output). Mappings
    are validated when the distiller is built.

    Args:
        student_recorders (dict, optional): ``{name: recorder cfg}``; the
            ``Recorder`` suffix of ``type`` may be omitted.
        teacher_recorders (dict, optional): Same for the teacher.
        distill_deliveries (dict, optional): ``{name: delivery cfg}``.
        connectors (dict, optional): ``{name: cfg or [cfgs]}``; a list is
            built as an ``nn.Sequential``.
        distill_losses (dict, optional): ``{loss_name: loss cfg}``.
        loss_forward_mappings (dict, optional): See above.
        init_cfg (dict, optional): Initialisation config.
    """

    def __init__(self,
                 student_recorders: Optional[Dict[str, Dict]] = None,
                 teacher_recorders: Optional[Dict[str, Dict]] = None,
                 distill_deliveries: Optional[Dict[str, Dict]] = None,
                 connectors: Optional[Dict[str, Dict]] = None,
                 distill_losses: Optional[Dict[str, Dict]] = None,
                 loss_forward_mappings: Optional[Dict[str, Dict]] = None,
                 init_cfg: Optional[Dict] = None,
                 **kwargs) -> None:
        super().__init__(init_cfg)
        if kwargs:
            raise TypeError(f'{type(self).__name__} got unexpected '
                            f'arguments: {sorted(kwargs)}')
        self.student_recorders = RecorderManager(student_recorders)
        self.teacher_recorders = RecorderManager(teacher_recorders)
        self.deliveries = DistillDeliveryManager(distill_deliveries)
        self.distill_losses = self.build_distill_losses(distill_losses)
        self.connectors = self.build_connectors(connectors)
        loss_forward_mappings = loss_forward_mappings or dict()
        self._check_loss_forward_mappings(self.distill_losses,
                                          loss_forward_mappings,
                                          self.student_recorders,
                                          self.teacher_recorders)
        self.loss_forward_mappings = loss_forward_mappings

    def set_deliveries_override(self, override: bool) -> None:
        """Switch the deliveries between record and override mode."""
        self.deliveries.override_data = override

    def prepare_from_student(self, model: nn.Module) -> None:
        """Initialize the student recorders with ``model``."""
        self.student_recorders.initialize(model)

    def prepare_from_teacher(self, model: nn.Module) -> None:
        """Initialize the teacher recorders with ``model``."""
        self.teacher_recorders.initialize(model)

    @staticmethod
    def build_connectors(
        connectors: Optional[Dict[str, Union[Dict, List]]] = None
    ) -> nn.ModuleDict:
        """Build the connectors; a list of cfgs becomes nn.Sequential."""
        built = nn.ModuleDict()
        for name, cfg in (connectors or {}).items():
            if isinstance(cfg, (list, tuple)):
                built[name] = nn.Sequential(
                    *[ConfigurableDistiller._build_one(name, c) for c in cfg])
            else:
                built[name] = ConfigurableDistiller._build_one(name, cfg)
        return built

    @staticmethod
    def _build_one(name: str, cfg: Union[Dict, nn.Module]) -> nn.Module:
        if isinstance(cfg, nn.Module):
            return cfg
        if not isinstance(cfg, (dict, ConfigDict)):
            raise TypeError(f'connector {name!r}: expected a dict or a '
                            f'list of dicts, but got {cfg!r}')
        return MODELS.build(cfg)

    @staticmethod
    def build_distill_losses(
            losses: Optional[Dict[str, Dict]] = None) -> nn.ModuleDict:
        """Build the losses (a warning if a name lacks ``'loss'``)."""
        distill_losses = nn.ModuleDict()
        for name, cfg in (losses or {}).items():
            if 'loss' not in name:
                warnings.warn(
                    f'Warning: If {name} is a loss that needs to backward, '
                    'the name of the loss must contain "loss". If it is '
                    'only used as a statistic, ignore this warning.')
            distill_losses[name] = cfg if isinstance(cfg, nn.Module) \
                else MODELS.build(cfg)
        return distill_losses

    def get_record(self,
                   recorder: str,
                   from_student: bool,
                   record_idx: int = 0,
                   data_idx: Optional[int] = None,
                   connector: Optional[str] = None,
                   connector_idx: Optional[int] = None,
                   _cache: Optional[Dict] = None) -> Any:
        """Get one record, optionally passed through a connector.

        Args:
            recorder (str): Recorder name.
            from_student (bool): Student or teacher recorders.
            record_idx (int): Which call. Defaults to 0.
            data_idx (int, optional): Item of a tuple record.
            connector (str, optional): Connector to apply.
            connector_idx (int, optional): Item of a tuple connector
                output.

        Returns:
            Any: The record.
        """
        manager = self.student_recorders if from_student \
            else self.teacher_recorders
        key = (recorder, from_student, record_idx, data_idx, connector)
        if _cache is not None and key in _cache:
            data = _cache[key]
        else:
            data = manager.get_recorder(recorder).get_record_data(
                record_idx, data_idx)
            data = self.post_process_record(data, from_student)
            if connector:
                data = self.connectors[connector](data)
            if _cache is not None:
                _cache[key] = data
        if connector_idx is not None:
            data = data[connector_idx]
        return data

    def post_process_record(self, data: Any, from_student: bool) -> Any:
        """Hook for subclasses (e.g. detaching teacher records)."""
        return data

    def compute_distill_losses(self) -> Dict[str, Any]:
        """Compute every distillation loss from the recorded data.

        Returns:
            dict: ``{loss_name: loss}``.
        """
        losses = dict()
        cache: Dict = dict()  # a connector runs once per record per step
        for loss_name, forward_mappings in \
                self.loss_forward_mappings.items():
            forward_kwargs = dict()
            for forward_key, record in forward_mappings.items():
                forward_kwargs[forward_key] = self.get_record(
                    **record, _cache=cache)
            loss_module = self.distill_losses[loss_name]
            losses[loss_name] = loss_module(**forward_kwargs)
        return losses

    def _check_loss_forward_mappings(
            self, losses: nn.ModuleDict, loss_forward_mappings: Dict,
            student_recorders: RecorderManager,
            teacher_recorders: RecorderManager) -> None:
        """Validate the mappings against the losses' forward signatures,
        the recorders and the connectors; errors name the loss, the
        argument and what exists."""
        loss_forward_mappings = as_config_dict(loss_forward_mappings)
        if not isinstance(loss_forward_mappings, dict):
            raise TypeError('loss_forward_mappings should be a dict, but '
                            f'got {type(loss_forward_mappings).__name__}')
        for loss_name, forward_mappings in loss_forward_mappings.items():
            if loss_name not in losses:
                raise KeyError(
                    f'loss_forward_mappings: {loss_name!r} is not in '
                    f'distill_losses (existing: {list(losses)})')
            if not isinstance(forward_mappings, dict):
                raise TypeError(
                    f'loss_forward_mappings[{loss_name!r}] should be a '
                    '{forward_arg: mapping} dict, but got '
                    f'{type(forward_mappings).__name__}')
            loss_module = losses[loss_name]
            signature = inspect.signature(loss_module.forward)
            params = signature.parameters
            var_kw = any(p.kind == p.VAR_KEYWORD for p in params.values())
            accepted = [
                n for n, p in params.items()
                if p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY)
            ]
            required = [
                n for n in accepted if params[n].default is params[n].empty
            ]
            loss_type = type(loss_module).__name__
            for arg in forward_mappings:
                if arg not in accepted and not var_kw:
                    raise ValueError(
                        f'loss_forward_mappings[{loss_name!r}]: '
                        f'{loss_type}.forward has no argument {arg!r}; '
                        f'its arguments are {accepted}')
            missing = [n for n in required if n not in forward_mappings]
            if missing:
                raise ValueError(
                    f'loss_forward_mappings[{loss_name!r}]: the required '
                    f'argument(s) {missing} of {loss_type}.forward are '
                    f'not mapped (mapped: {list(forward_mappings)})')
            for arg, mapping in forward_mappings.items():
                self._check_one_mapping(loss_name, arg, mapping,
                                        student_recorders, teacher_recorders)

    def _check_one_mapping(self, loss_name: str, arg: str, mapping: Any,
                           student_recorders: RecorderManager,
                           teacher_recorders: RecorderManager) -> None:
        where = f'loss_forward_mappings[{loss_name!r}][{arg!r}]'
        if not isinstance(mapping, dict):
            raise TypeError(f'{where} should be a dict with `recorder` and '
                            f'`from_student`, but got {mapping!r}')
        unknown = [k for k in mapping if k not in MAPPING_KEYS]
        if unknown:
            raise ValueError(f'{where}: unknown key(s) {unknown}; valid '
                             f'keys are {list(MAPPING_KEYS)}')
        for key in ('recorder', 'from_student'):
            if key not in mapping:
                raise KeyError(f'{where}: `{key}` is required')
        from_student = mapping['from_student']
        if not isinstance(from_student, bool):
            raise TypeError(f'{where}: `from_student` should be a bool, but '
                            f'got {from_student!r}')
        manager = student_recorders if from_student else teacher_recorders
        side = 'student' if from_student else 'teacher'
        if mapping['recorder'] not in manager:
            raise KeyError(f'{where}: there is no {side} recorder named '
                           f'{mapping["recorder"]!r}; {side} recorders: '
                           f'{list(manager.recorders)}')
        connector = mapping.get('connector')
        if connector is not None and connector not in self.connectors:
            raise KeyError(f'{where}: there is no connector named '
                           f'{connector!r}; connectors: '
                           f'{list(self.connectors)}')
        if mapping.get('connector_idx') is not None and connector is None:
            raise ValueError(f'{where}: `connector_idx` needs a '
                             '`connector`')
