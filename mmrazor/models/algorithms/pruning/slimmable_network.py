# Copyright (c) OpenMMLab. All rights reserved.
"""Slimmable networks: one network trained at several fixed widths."""
import copy
from typing import Dict, List, Optional, Union

import torch
from mmengine.model import BaseModel, MMDistributedDataParallel
from mmengine.optim import OptimWrapper
from torch import nn

from mmrazor.models.mutators import SlimmableChannelMutator
from mmrazor.models.utils import add_prefix
from mmrazor.registry import MODEL_WRAPPERS, MODELS
from ..base import BaseAlgorithm
from ..ddp_device_ids import default_ddp_device_ids


@MODELS.register_module()
class SlimmableNetwork(BaseAlgorithm):
    """`Slimmable Neural Networks <https://arxiv.org/abs/1812.08928>`_.

    Every training iteration trains each subnet of the mutator (the widths
    listed by ``channel_unit_cfg.units``), one optimizer update per subnet;
    each width owns its batch norms (``SwitchableBatchNorm2d``). With
    ``deploy_index >= 0`` the model is fixed to that subnet and converted
    to static ops at once; it then trains and tests like a plain model, and
    loads the weights of the slimmable supernet (sliced, with the private
    BN of its width).

    Args:
        mutator (dict | SlimmableChannelMutator): The mutator.
        architecture (dict | BaseModel): The model.
        deploy_index (int): The subnet to deploy, -1 for none.
        data_preprocessor (dict, optional): Defaults to the
            architecture's.
        init_cfg (dict, optional): Init config.
    """

    def __init__(self,
                 mutator: Union[Dict, SlimmableChannelMutator] = dict(
                     type='SlimmableChannelMutator',
                     channel_unit_cfg=dict(
                         type='SlimmableChannelUnit', units={}),
                     parse_cfg=dict(type='ChannelAnalyzer')),
                 architecture: Optional[Union[BaseModel, Dict]] = None,
                 deploy_index: int = -1,
                 data_preprocessor: Optional[Union[Dict, nn.Module]] = None,
                 init_cfg: Optional[Dict] = None) -> None:
        if architecture is None:
            raise TypeError('SlimmableNetwork needs an `architecture`')
        super().__init__(architecture, data_preprocessor, init_cfg)
        if isinstance(mutator, dict):
            mutator = MODELS.build(copy.deepcopy(dict(mutator)))
        if not isinstance(mutator, SlimmableChannelMutator):
            raise TypeError('mutator must be a SlimmableChannelMutator (or '
                            f'its config), got {type(mutator).__name__}')
        self.mutator = mutator
        self.mutator.prepare_from_supernet(self.architecture)
        num = len(self.mutator.subnets)
        if not -1 <= deploy_index < num:
            raise ValueError(f'deploy_index {deploy_index} is out of range: '
                             f'the mutator has {num} subnets (0..{num - 1})'
                             ', or -1 for the slimmable supernet')
        self.deploy_index = deploy_index
        self.is_deployed = False
        if deploy_index >= 0:
            self._deploy(deploy_index)

    def _deploy(self, index: int) -> None:
        """Fix subnet ``index`` and convert the dynamic ops to static."""
        from mmrazor.structures.subnet.fix_subnet import _dynamic_to_static
        self.mutator.set_choices(self.mutator.subnets[index])
        self.mutator.fix_channel_mutables()
        _dynamic_to_static(self.architecture)
        self.is_deployed = True
        self._register_load_state_dict_pre_hook(
            _slice_supernet_state, with_module=True)

    def train_step(self, data: Union[Dict, tuple, list],
                   optim_wrapper: OptimWrapper) -> Dict[str, torch.Tensor]:
        """Train every subnet on the batch (one update each); a deployed
        network trains as a plain model.

        Returns:
            dict: Log variables, prefixed ``subnet_{i}.``.
        """
        return self._train_step(self, data, optim_wrapper)

    def _train_step(self, model: nn.Module, data: Union[Dict, tuple, list],
                    optim_wrapper: OptimWrapper) -> Dict[str, torch.Tensor]:
        """The training step, forwarding through ``model`` (this network or
        its DDP wrapper)."""
        if self.is_deployed:
            with optim_wrapper.optim_context(model):
                batch = self.data_preprocessor(data, True)
                losses = model(**batch, mode='loss')
            parsed, log_vars = self.parse_losses(losses)
            optim_wrapper.update_params(parsed)
            return log_vars
        batch = self.data_preprocessor(data, True)
        total: Dict[str, torch.Tensor] = dict()
        for index, subnet in enumerate(self.mutator.subnets):
            self.mutator.set_choices(subnet)
            with optim_wrapper.optim_context(model):
                losses = model(**batch, mode='loss')
            parsed, log_vars = self.parse_losses(losses)
            optim_wrapper.update_params(parsed)
            total.update(add_prefix(log_vars, f'subnet_{index}'))
        return total


def _slice_supernet_state(module: nn.Module, state_dict: Dict, prefix: str,
                          *args) -> None:
    """Turn a slimmable supernet state dict into the deployed subnet's:
    ``...bn.candidate_bn.{width}.*`` becomes ``...bn.*`` and wider tensors
    keep their leading (leftmost) channels."""
    own = module.state_dict()
    for key in list(state_dict.keys()):
        if not key.startswith(prefix) or '.candidate_bn.' not in key:
            continue
        local = key[len(prefix):]
        head, _, tail = local.partition('.candidate_bn.')
        width, _, name = tail.partition('.')
        target = f'{head}.{name}'
        value = state_dict.pop(key)
        ref = f'{head}.running_mean' if f'{head}.running_mean' in own \
            else f'{head}.weight'
        if ref in own and own[ref].shape[:1] == (int(width), ):
            state_dict[prefix + target] = value
    for local, tensor in own.items():
        key = prefix + local
        if key not in state_dict:
            continue
        value = state_dict[key]
        if value.shape == tensor.shape or value.dim() != tensor.dim():
            continue
        if any(v < t for v, t in zip(value.shape, tensor.shape)):
            raise ValueError(
                f'{local}: the checkpoint tensor {tuple(value.shape)} is '
                f'smaller than the deployed subnet\'s {tuple(tensor.shape)}')
        state_dict[key] = value[tuple(slice(0, t) for t in tensor.shape)]


@MODEL_WRAPPERS.register_module()
class SlimmableNetworkDDP(MMDistributedDataParallel):
    """DDP wrapper of :class:`SlimmableNetwork` (runs its training step
    through the wrapper).

    Args:
        device_ids (list[int], optional): Defaults to ``[LOCAL_RANK]`` when
            CUDA is available, None on CPU.
        **kwargs: Passed to ``MMDistributedDataParallel``.
    """

    def __init__(self, *, device_ids: Optional[List] = None, **kwargs) -> None:
        super().__init__(
            device_ids=default_ddp_device_ids(device_ids), **kwargs)

    def train_step(self, data: Union[Dict, tuple, list],
                   optim_wrapper: OptimWrapper) -> Dict[str, torch.Tensor]:
        """The algorithm's training step, forwarding through DDP."""
        return self.module._train_step(self, data, optim_wrapper)
