# Copyright (c) OpenMMLab. All rights reserved.
import logging
from collections import OrderedDict
from typing import Dict, List, Optional, Tuple, Union

import torch
import torch.nn as nn
from mmengine.dist import get_world_size
from mmengine.logging import print_log
from mmengine.model import BaseModel
from mmengine.structures import BaseDataElement

from mmrazor.registry import MODELS
from mmrazor.utils.config_dict import as_config_dict
from .loss_guard import (LOSS_GUARD_ACTIONS, NonFiniteLossError,
                         describe_non_finite, non_finite_terms,
                         skipped_step_loss)

LossResults = Dict[str, torch.Tensor]
TensorResults = Union[Tuple[torch.Tensor], torch.Tensor]
PredictResults = List[BaseDataElement]
ForwardResults = Union[LossResults, TensorResults, PredictResults]

VALID_MODES = ('loss', 'tensor', 'predict')


@MODELS.register_module()
class BaseAlgorithm(BaseModel):
    """Base class for all model compression algorithms.

    An algorithm wraps an ``architecture`` (the model being compressed) and
    is itself a :class:`mmengine.model.BaseModel`, so runners train it like
    any model. Subclasses usually override :meth:`loss` only.

    Args:
        architecture (dict | BaseModel): The model to compress, as a config
            (built with MMRazor's ``MODELS``) or an instance.
        data_preprocessor (dict | nn.Module, optional): Defaults to the
            architecture's own ``data_preprocessor``.
        init_cfg (dict, optional): Initialisation config. Defaults to None.
        module_inplace (bool): Keep ``inplace=True`` on sub-modules. When
            False (the default), every module with an ``inplace`` attribute
            is switched to ``inplace=False``, because inplace ops break the
            recorders used by distillation and tracing.

    Examples:
        >>> import torch.nn as nn
        >>> import torch
        >>> from mmengine.model import BaseModel
        >>> class Net(BaseModel):
        ...     def __init__(self):
        ...         super().__init__()
        ...         self.fc = nn.Sequential(nn.Linear(4, 2), nn.ReLU(True))
        ...     def forward(self, inputs, data_samples=None, mode='tensor'):
        ...         return self.fc(inputs)
        >>> algo = BaseAlgorithm(Net())
        >>> algo.architecture.fc[1].inplace
        False
        >>> algo(torch.ones(1, 4), mode='tensor').shape
        torch.Size([1, 2])
    """

    def __init__(self,
                 architecture: Union[BaseModel, Dict],
                 data_preprocessor: Optional[Union[Dict, nn.Module]] = None,
                 init_cfg: Optional[Dict] = None,
                 module_inplace: bool = False) -> None:
        architecture = as_config_dict(architecture)
        if isinstance(architecture, dict):
            architecture = MODELS.build(architecture)
        if not isinstance(architecture, nn.Module):
            raise TypeError('architecture should be a `dict` or a '
                            f'`BaseModel` instance, but got '
                            f'{type(architecture).__name__}')
        if data_preprocessor is None:
            # use the data_preprocessor of the architecture by default
            data_preprocessor = getattr(architecture, 'data_preprocessor',
                                        None)
        super().__init__(
            data_preprocessor=data_preprocessor, init_cfg=init_cfg)
        self.architecture = architecture
        self.module_inplace = module_inplace
        if not module_inplace:
            self.set_module_inplace_false(architecture, 'self.architecture')

    #: What :meth:`parse_losses` does with a non-finite loss: ``'raise'``
    #: or ``'skip'`` (set by :class:`mmrazor.engine.NonFiniteLossHook`).
    non_finite_loss: str = 'raise'
    #: How many steps were skipped for a non-finite loss.
    non_finite_skipped: int = 0

    def parse_losses(
        self, losses: Dict[str, torch.Tensor]
    ) -> Tuple[torch.Tensor, Dict[str, torch.Tensor]]:
        """Sum the loss terms, guarding against NaN and infinity.

        As :meth:`mmengine.model.BaseModel.parse_losses`, then every term
        whose key holds ``'loss'`` is checked. A non-finite term raises
        :class:`NonFiniteLossError` naming the key, the iteration and the
        last checkpoint; when :attr:`non_finite_loss` is ``'skip'`` the
        step is skipped instead (a zero loss that updates no parameter),
        with a warning and the count ``nonfinite_skipped`` in the log.

        Args:
            losses (dict[str, Tensor]): Raw losses of the network.

        Returns:
            tuple[Tensor, dict]: The total loss and the log variables.
        """
        loss, log_vars = super().parse_losses(losses)
        bad = non_finite_terms(losses, loss)
        action = self.non_finite_loss
        if action not in LOSS_GUARD_ACTIONS:
            raise ValueError(
                f'{type(self).__name__}.non_finite_loss must be one of '
                f'{LOSS_GUARD_ACTIONS}, got {action!r}')
        if not bad:
            if action == 'skip':
                log_vars['nonfinite_skipped'] = torch.tensor(
                    float(self.non_finite_skipped))
            return loss, log_vars
        message = describe_non_finite(type(self).__name__, bad)
        if action == 'raise':
            raise NonFiniteLossError(
                f'{message}. Training stopped instead of updating the '
                'weights with NaN; lower the learning rate or the loss '
                'weights, or resume from the checkpoint. To skip such '
                "steps instead, add dict(type='mmrazor.NonFiniteLossHook',"
                " action='skip') to custom_hooks.")
        if get_world_size() > 1:
            raise NonFiniteLossError(
                f'{message}. Skipping a step is not supported in '
                'distributed training (the ranks would fall out of step); '
                'training stopped.')
        self.non_finite_skipped += 1
        print_log(
            f'{message}. Step skipped ({self.non_finite_skipped} skipped '
            'so far).',
            logger='current',
            level=logging.WARNING)
        skipped = OrderedDict(
            nonfinite_skipped=torch.tensor(float(self.non_finite_skipped)))
        return skipped_step_loss(self.parameters()), skipped

    def forward(self,
                inputs: torch.Tensor,
                data_samples: Optional[List[BaseDataElement]] = None,
                mode: str = 'tensor') -> ForwardResults:
        """Dispatch to :meth:`loss`, :meth:`_forward` or :meth:`_predict`.

        Args:
            inputs (torch.Tensor): Batch inputs, after preprocessing.
            data_samples (list, optional): Annotations of the batch.
            mode (str): ``'loss'``, ``'tensor'`` or ``'predict'``.

        Returns:
            dict | tensor | list: Losses, raw outputs or predictions.
        """
        if mode == 'loss':
            return self.loss(inputs, data_samples)
        elif mode == 'tensor':
            return self._forward(inputs, data_samples)
        elif mode == 'predict':
            return self._predict(inputs, data_samples)
        else:
            raise RuntimeError(f'Invalid mode "{mode}" for '
                               f'{type(self).__name__}.forward: valid modes '
                               f'are {", ".join(VALID_MODES)}.')

    def loss(
        self,
        inputs: torch.Tensor,
        data_samples: Optional[List[BaseDataElement]] = None,
    ) -> LossResults:
        """Calculate losses from a batch of inputs and data samples."""
        return self.architecture(inputs, data_samples, mode='loss')

    def _forward(
        self,
        inputs: torch.Tensor,
        data_samples: Optional[List[BaseDataElement]] = None,
    ) -> TensorResults:
        """Network forward process."""
        return self.architecture(inputs, data_samples, mode='tensor')

    def _predict(
        self,
        inputs: torch.Tensor,
        data_samples: Optional[List[BaseDataElement]] = None,
    ) -> PredictResults:
        """Predict results from a batch of inputs and data samples with post-
        processing."""
        return self.architecture(inputs, data_samples, mode='predict')

    @staticmethod
    def set_module_inplace_false(architecture: nn.Module,
                                 varstr: str = 'architecture') -> None:
        """Set ``inplace=False`` on every module that has the attribute.

        Args:
            architecture (nn.Module): The model to walk.
            varstr (str): Name of the model, for messages only.
        """
        for module in architecture.modules():
            if hasattr(module, 'inplace') and \
                    isinstance(getattr(module, 'inplace'), bool):
                module.inplace = False
