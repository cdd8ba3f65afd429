# Copyright (c) OpenMMLab. All rights reserved.
import copy
import logging
import os
import warnings
from typing import Dict, List, Optional, Tuple, Union

import torch
import torch.nn as nn
from mmengine.config import Config
from mmengine.logging import print_log
from mmengine.model import MMDistributedDataParallel
from mmengine.structures import BaseDataElement
from torch.fx import GraphModule

from mmrazor.models.algorithms.base import BaseAlgorithm
from mmrazor.models.observers.base import reset_observer_stats
from mmrazor.registry import MODEL_WRAPPERS, MODELS
from mmrazor.structures.quantization import QConfigHandler
from mmrazor.structures.quantization.torch_ao import (QAT_MODULES,
                                                      FakeQuantize,
                                                      FakeQuantizeBase,
                                                      disable_observer)

LossResults = Dict[str, torch.Tensor]
TensorResults = Union[Tuple[torch.Tensor], torch.Tensor]
PredictResults = List[BaseDataElement]
ForwardResults = Union[LossResults, TensorResults, PredictResults]


def _copy_tensor_into(dst: torch.Tensor, src: torch.Tensor) -> None:
    with torch.no_grad():
        if isinstance(dst, nn.Parameter):
            if dst.shape != src.shape:
                dst.data = src.detach().clone().to(dst.device)
            else:
                dst.data.copy_(src.detach())
        else:
            if dst.shape != src.shape:
                dst.resize_(src.shape)
            dst.copy_(src.detach())


@MODELS.register_module()
class MMArchitectureQuant(BaseAlgorithm):
    """General quantization (QAT / PTQ) wrapper of OpenMMLab models.

    One FX-prepared graph module is built per forward mode
    (``qmodels['tensor' | 'predict' | 'loss']``); all share the float
    ``architecture``'s parameters, each has its own fake-quants, which
    :meth:`sync_qparams` keeps equal.

    Args:
        architecture (dict | nn.Module): The float model.
        quantizer (dict | nn.Module): The quantizer config.
        data_preprocessor (dict, optional): Defaults to the
            architecture's.
        deploy_cfg (str | dict, optional): The mmdeploy deploy config of
            the target backend, kept as ``self.deploy_cfg`` for export.
            mmdeploy's function rewriters are not applied while tracing:
            code FX cannot trace (data-sample handling, post-processing,
            losses) is left untraced with the tracer's
            ``skipped_methods``, e.g. for mmdet detectors
            ``BaseDenseHead.predict`` (its ``self(x)`` head forward stays
            traced) and ``BaseDetector.add_pred_to_datasample``.
        forward_modes (tuple): Modes to prepare. Defaults to
            ``('tensor', 'predict', 'loss')``.
        float_checkpoint (str, optional): Float weights loaded before
            preparing.
        input_shapes (tuple): Shape of the dummy input used to give the
            per-channel qparams their shapes. Defaults to (1, 3, 224, 224).
        init_cfg (dict, optional): Init config.
    """

    def __init__(self,
                 architecture: Union[Dict, nn.Module],
                 quantizer: Union[Dict, nn.Module],
                 data_preprocessor: Optional[Dict] = None,
                 deploy_cfg: Optional[Union[str, Dict]] = None,
                 forward_modes: Tuple[str,
                                      ...] = ('tensor', 'predict', 'loss'),
                 float_checkpoint: Optional[str] = None,
                 input_shapes: Tuple[int, ...] = (1, 3, 224, 224),
                 init_cfg: Optional[Dict] = None) -> None:
        super().__init__(architecture, data_preprocessor, init_cfg)
        bad_modes = [
            m for m in forward_modes if m not in ('tensor', 'predict', 'loss')
        ]
        if bad_modes or not forward_modes:
            raise ValueError(f'forward_modes must be a non-empty subset of '
                             f"('tensor', 'predict', 'loss'), got "
                             f'{forward_modes}')
        self.quantizer = MODELS.build(quantizer) if isinstance(
            quantizer, dict) else quantizer
        self.input_shapes = tuple(input_shapes)
        self.quantizer.convert_batchnorm2d(self.architecture)
        if float_checkpoint:
            self._load_float_checkpoint(float_checkpoint)
        if isinstance(deploy_cfg, str):
            deploy_cfg = Config.fromfile(deploy_cfg)
        self.deploy_cfg = deploy_cfg
        self.forward_modes = tuple(forward_modes)
        self.qmodels = self._build_qmodels(self.architecture)
        self._init_qparams_shapes()

    def _load_float_checkpoint(self, float_checkpoint: str) -> None:
        """Load float weights into ``architecture`` (mmengine checkpoint
        loaders, so the safe local loader and URLs both work)."""
        # imported here: mmengine.runner (and, with it, OpenCV) is not needed
        # to import mmrazor.models; the safe local loader registers itself
        from mmengine.runner.checkpoint import CheckpointLoader

        import mmrazor.engine.runner.checkpoint  # noqa: F401
        checkpoint = CheckpointLoader.load_checkpoint(
            float_checkpoint, map_location='cpu')
        state_dict = checkpoint.get('state_dict', checkpoint) if isinstance(
            checkpoint, dict) else checkpoint
        if not isinstance(state_dict, dict):
            raise TypeError(f'float_checkpoint {float_checkpoint!r} holds no '
                            'state dict')
        state_dict = {
            k[len('module.'):] if k.startswith('module.') else k: v
            for k, v in state_dict.items()
        }
        missing, unexpected = self.architecture.load_state_dict(
            state_dict, strict=False)
        if missing or unexpected:
            print_log(
                f'float_checkpoint {float_checkpoint}: missing keys '
                f'{missing[:10]}, unexpected keys {unexpected[:10]}',
                logger='current',
                level=logging.WARNING)
        self.architecture._is_init = True

    # ------------------------------------------------------------------
    def _init_qparams_shapes(self) -> None:
        """Dummy forward (eval, no grad) so per-channel qparams get their
        shapes, then sync and reset the statistics."""
        src_mode = 'tensor' if 'tensor' in self.qmodels else \
            self.forward_modes[0]
        if src_mode == 'tensor':
            device = next(
                iter(self.architecture.parameters()), torch.zeros(0)).device
            dummy = torch.randn(self.input_shapes, device=device)
            qmodel = self.qmodels['tensor']
            was_training = qmodel.training
            qmodel.eval()
            try:
                with torch.no_grad():
                    qmodel(dummy, None, 'tensor')
            except (RuntimeError, ValueError, TypeError, IndexError) as e:
                # wrong input_shapes: not fatal, the user is told
                warnings.warn(
                    f'MMArchitectureQuant: the dummy forward with '
                    f'input_shapes={self.input_shapes} failed ({e}); set '
                    'input_shapes to the model input shape')
            finally:
                qmodel.train(was_training)
        self.sync_qparams(src_mode)
        self.reset_observer_and_fakequant_statistics(self)

    @staticmethod
    def reset_observer_and_fakequant_statistics(model: nn.Module) -> None:
        """Reset the observers' min/max statistics (shapes kept)."""
        reset_observer_stats(model)

    def _build_qmodels(self, model: nn.Module) -> nn.ModuleDict:
        """Prepare one graph module per forward mode.

        Args:
            model (nn.Module): The float model.

        Returns:
            nn.ModuleDict: ``{mode: prepared GraphModule}``.
        """
        from mmrazor.models.task_modules.tracer.fx import UntraceableCallError
        from mmrazor.models.task_modules.tracer.fx.upstream_skips import \
            complete_skipped_methods
        complete_skipped_methods(self.quantizer.tracer, model)
        qmodels = nn.ModuleDict()
        for mode in self.forward_modes:
            concrete_args = {'mode': mode}
            try:
                qmodels[mode] = self.quantizer.prepare(model, concrete_args)
            except UntraceableCallError as e:
                raise UntraceableCallError(
                    f'MMArchitectureQuant: cannot prepare the {mode!r} '
                    f'graph of {type(model).__name__} (forward_modes='
                    f'{self.forward_modes}). {e}') from e
        return qmodels

    # ------------------------------------------------------------------
    def forward(self,
                inputs: torch.Tensor,
                data_samples: Optional[List[BaseDataElement]] = None,
                mode: str = 'tensor') -> ForwardResults:
        """Run the prepared graph of ``mode`` (the float architecture if
        that mode was not prepared)."""
        if mode in self.qmodels:
            qmodel = self.qmodels[mode]
            return qmodel(inputs, data_samples, mode)
        return self.architecture(inputs, data_samples, mode)

    def calibrate_step(self, data: Union[Dict, Tuple, List]):
        """PTQ calibration step: a 'predict' forward."""
        data = self.data_preprocessor(data, False)
        return self._run_forward(data, mode='predict')

    def sync_qparams(self, src_mode: str) -> None:
        """Copy fake-quant parameters and buffers from ``qmodels[src_mode]``
        to the other modes' graphs (resizing per-channel tensors).

        Args:
            src_mode (str): The mode whose qparams are the reference.
        """
        if src_mode not in self.qmodels:
            raise KeyError(f'sync_qparams: no qmodel for mode {src_mode!r};'
                           f' have {list(self.qmodels)}')
        src = self.qmodels[src_mode]
        src_fqs = {
            name: m
            for name, m in src.named_modules()
            if isinstance(m, FakeQuantizeBase)
        }
        for mode, qmodel in self.qmodels.items():
            if mode == src_mode:
                continue
            for name, module in qmodel.named_modules():
                if name not in src_fqs or not isinstance(
                        module, FakeQuantizeBase):
                    continue
                src_fq = src_fqs[name]
                src_params = dict(src_fq.named_parameters())
                for pname, param in module.named_parameters():
                    if pname in src_params:
                        _copy_tensor_into(param, src_params[pname])
                src_bufs = dict(src_fq.named_buffers())
                for bname, buf in module.named_buffers():
                    if bname in src_bufs:
                        _copy_tensor_into(buf, src_bufs[bname])
                if hasattr(src_fq, 'activation_post_process') and hasattr(
                        module, 'activation_post_process'):
                    for attr in ('quant_min', 'quant_max'):
                        if hasattr(src_fq, attr):
                            setattr(module, attr, getattr(src_fq, attr))

    def get_deploy_model(self, mode: str = 'tensor') -> GraphModule:
        """A deployable copy: BN folded, fake-quantized weights baked in,
        weight fake-quants kept, activation fake-quants turned into plain
        ``FakeQuantize`` modules and observers disabled.

        Args:
            mode (str): The forward mode traced for deployment. Defaults to
                'tensor' (inputs → logits/features).

        Returns:
            GraphModule: The deploy model (independent of this algorithm).
        """
        qconfig = getattr(self.quantizer, 'qconfig', None)
        if not isinstance(qconfig, QConfigHandler) or not hasattr(
                self.quantizer, 'post_process_for_deploy'):
            raise NotImplementedError(
                f'{type(self.quantizer).__name__} has no deploy interface; '
                'use TorchNativeQuantizer / OpenVINOQuantizer / '
                'TensorRTQuantizer')
        src_mode = 'predict' if 'predict' in self.qmodels else mode
        float_model = copy.deepcopy(self.architecture)
        float_model.eval()
        observed = self.quantizer.prepare(float_model, {'mode': mode})
        state = self.qmodels[src_mode].state_dict()
        own = observed.state_dict()
        state = {k: v for k, v in state.items() if k in own}
        observed.load_state_dict(state, strict=False)
        observed.eval()
        self.quantizer.post_process_for_deploy(
            observed,
            device=str(next(iter(float_model.parameters())).device),
            keep_w_fake_quant=True,
            update_weight_with_fakequant=True)
        for name, module in list(observed.named_modules()):
            if type(module) in QAT_MODULES and \
                    type(module.weight_fake_quant) is not FakeQuantize:
                module.weight_fake_quant = QConfigHandler.replace_fakequant(
                    module.weight_fake_quant, qconfig.w_qscheme)
        replaced: Dict[int, nn.Module] = {}
        for name, child in list(observed._modules.items()):
            # shared fake-quants appear under several names: keep sharing
            if isinstance(child, FakeQuantizeBase) and \
                    type(child) is not FakeQuantize:
                if id(child) not in replaced:
                    replaced[id(child)] = QConfigHandler.replace_fakequant(
                        child, qconfig.a_qscheme)
                setattr(observed, name, replaced[id(child)])
        observed.apply(disable_observer)
        return observed


@MODEL_WRAPPERS.register_module()
class MMArchitectureQuantDDP(MMDistributedDataParallel):
    """DDP wrapper of :class:`MMArchitectureQuant`.

    The qmodels are rebuilt (by the algorithm's own ``_build_qmodels``)
    once the model is on its device and before DDP registers the
    parameters, then synced and reset.

    Args:
        device_ids (list[int], optional): Defaults to ``[LOCAL_RANK]`` when
            CUDA is available, None on CPU.
        **kwargs: Passed to ``MMDistributedDataParallel``.
    """

    def __init__(self,
                 *,
                 module: MMArchitectureQuant,
                 device_ids: Optional[Union[List, int, torch.device]] = None,
                 **kwargs) -> None:
        if device_ids is None and torch.cuda.is_available():
            device_ids = [int(os.environ.get('LOCAL_RANK', 0))]
        if device_ids:
            module = module.to(
                torch.device('cuda', device_ids[0]) if isinstance(
                    device_ids[0], int) else device_ids[0])
        module.qmodels = module._build_qmodels(module.architecture)
        module._init_qparams_shapes()
        super().__init__(module=module, device_ids=device_ids, **kwargs)

    def calibrate_step(self, data: Union[Dict, Tuple, List]):
        """PTQ calibration step (delegates to the algorithm)."""
        return self.module.calibrate_step(data)

    def sync_qparams(self, src_mode: str) -> None:
        """Sync the qparams (delegates to the algorithm)."""
        self.module.sync_qparams(src_mode)
