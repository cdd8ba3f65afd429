# Copyright (c) OpenMMLab. All rights reserved.
from typing import Dict, Optional

import torch
import torch.nn as nn
from torch.fx import GraphModule

from mmrazor.models.task_modules.tracer.fx import build_graphmodule
from mmrazor.models.utils import str2class
from mmrazor.registry import MODELS
from mmrazor.structures.quantization import BackendConfigs, QConfigHandler
from mmrazor.structures.quantization.torch_ao import (PrepareCustomConfig,
                                                      QConfigMapping, fuse_fx,
                                                      prepare_fx)
from mmrazor.utils.config_dict import as_config_dict
from .base import BaseQuantizer

GLOBAL_DICT_KEY = '_global_'
OBJECT_TYPE_DICT_KEY = 'object_type'
MODULE_NAME_DICT_KEY = 'module_name'
FLOAT_TO_OBSERVED_DICT_KEY = 'float_to_observed_custom_module_class'
PRESERVED_ATTRIBUTES_DICT_KEY = 'preserved_attributes'


@MODELS.register_module()
class AcademicQuantizer(BaseQuantizer):
    """Research quantizer: mixed precision per module type / name and
    custom fake-quants, without a deploy interface (backend 'academic').

    Args:
        qconfig_mapping (dict): ``dict(_global_=qconfig,
            object_type=[(type_str, qconfig)], module_name=[(name,
            qconfig)])``; each qconfig is a ``global_qconfig``-style dict.
        tracer (dict): Defaults to ``mmrazor.CustomTracer``.
        prepare_custom_config (dict, optional):
            ``float_to_observed_custom_module_class`` (``[(float, observed)]``
            class strings) and ``preserved_attributes``.
    """

    def __init__(self,
                 qconfig_mapping: Dict,
                 tracer: Dict = dict(type='mmrazor.CustomTracer'),
                 prepare_custom_config: Optional[Dict] = None,
                 init_cfg: Optional[Dict] = None) -> None:
        super().__init__(tracer, init_cfg)
        self.qconfig_mapping = self.gen_qconfig_mapping(qconfig_mapping)
        self.prepare_custom_config = self.gen_prepare_custom_config(
            prepare_custom_config)
        self.backend_config = BackendConfigs[self.backend]
        self.example_inputs = (torch.randn(1, 3, 224, 224), )

    @property
    def backend(self) -> str:
        return 'academic'

    def gen_qconfig_mapping(self, qconfig_mapping: Dict) -> QConfigMapping:
        """Build a torch ``QConfigMapping`` from the dict form."""
        qconfig_mapping = as_config_dict(qconfig_mapping)
        if not isinstance(qconfig_mapping, dict):
            raise TypeError('qconfig_mapping must be a dict')
        unknown = sorted(
            set(qconfig_mapping) -
            {GLOBAL_DICT_KEY, OBJECT_TYPE_DICT_KEY, MODULE_NAME_DICT_KEY})
        if unknown:
            raise KeyError(f'qconfig_mapping: unknown key(s) {unknown}')
        mapping = QConfigMapping()
        if qconfig_mapping.get(GLOBAL_DICT_KEY) is not None:
            mapping.set_global(
                QConfigHandler(qconfig_mapping[GLOBAL_DICT_KEY]).convert())
        for type_str, qconfig in qconfig_mapping.get(OBJECT_TYPE_DICT_KEY, []):
            mapping.set_object_type(
                str2class(type_str),
                None if qconfig is None else QConfigHandler(qconfig).convert())
        for name, qconfig in qconfig_mapping.get(MODULE_NAME_DICT_KEY, []):
            mapping.set_module_name(
                name,
                None if qconfig is None else QConfigHandler(qconfig).convert())
        return mapping

    def gen_prepare_custom_config(
            self,
            prepare_custom_config: Optional[Dict]) -> PrepareCustomConfig:
        """Build a torch ``PrepareCustomConfig``."""
        cfg = PrepareCustomConfig()
        if not prepare_custom_config:
            return cfg
        for float_cls, observed_cls in prepare_custom_config.get(
                FLOAT_TO_OBSERVED_DICT_KEY, []):
            cfg.set_float_to_observed_mapping(
                str2class(float_cls), str2class(observed_cls))
        cfg.set_preserved_attributes(
            list(prepare_custom_config.get(PRESERVED_ATTRIBUTES_DICT_KEY, [])))
        return cfg

    def prepare(self,
                model: nn.Module,
                concrete_args: Optional[Dict] = None) -> GraphModule:
        """Trace, fuse and insert fake-quants per the mapping."""
        self.swap_ff_with_fxff(model)
        training = model.training
        model.train()
        try:
            traced_graph = self.tracer.trace(model, concrete_args)
            graph_module = build_graphmodule(model, traced_graph)
            preserved = self.prepare_custom_config.preserved_attributes
            for attr in preserved:
                if hasattr(model, attr):
                    setattr(graph_module, attr, getattr(model, attr))
            graph_module = fuse_fx(
                graph_module,
                is_qat=True,
                backend_config=self.backend_config,
                preserved_attributes=preserved)
            prepared = prepare_fx(
                graph_module,
                self.qconfig_mapping,
                self.tracer.node_name_to_scope,
                example_inputs=self.example_inputs,
                is_qat=True,
                prepare_custom_config=self.prepare_custom_config,
                backend_config=self.backend_config)
        finally:
            model.train(training)
        for attr in preserved:
            if hasattr(model, attr):
                setattr(prepared, attr, getattr(model, attr))
        prepared.train(training)
        return prepared
