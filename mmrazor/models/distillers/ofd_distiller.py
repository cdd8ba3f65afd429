# Copyright (c) OpenMMLab. All rights reserved.
import math

import torch
import torch.nn as nn
from torch.nn.modules.batchnorm import _BatchNorm

from mmrazor.registry import MODELS
from ..architectures.connectors import OFDTeacherConnector
from ..losses import OFDLoss
from .configurable_distiller import ConfigurableDistiller


def ofd_margin(std: torch.Tensor, mean: torch.Tensor) -> torch.Tensor:
    """Expected value of the negative part of N(mean, std^2) per channel:
    ``mean - std * pdf(mean/std) / cdf(-mean/std)``, or ``-3 std`` where
    ``cdf(-mean/std) <= 0.001``."""
    margin = []
    for s, m in zip(std.tolist(), mean.tolist()):
        s = abs(s)
        if s == 0:
            margin.append(min(m, 0.))
            continue
        cdf = 0.5 * (1 + math.erf((-m / s) / math.sqrt(2)))
        if cdf > 0.001:
            pdf = math.exp(-(m / s)**2 / 2) / math.sqrt(2 * math.pi)
            margin.append(-s * pdf / cdf + m)
        else:
            margin.append(-3 * s)
    return torch.tensor(margin, dtype=torch.float32)


@MODELS.register_module()
class OFDDistiller(ConfigurableDistiller):
    """Distiller of Overhaul Feature Distillation: sets the margins of the
    :class:`OFDTeacherConnector` from the teacher's BN statistics.

    Args: see :class:`ConfigurableDistiller`.
    """

    def init_ofd_connectors(self, teacher: nn.Module) -> None:
        """For every OFDLoss mapping whose teacher input goes through an
        :class:`OFDTeacherConnector`, compute the margin from the BN that
        the teacher recorder records (``weight`` as std, ``bias`` as mean).

        Args:
            teacher (nn.Module): The teacher.
        """
        modules = dict(teacher.named_modules())
        for loss_name, mappings in self.loss_forward_mappings.items():
            if not isinstance(self.distill_losses[loss_name], OFDLoss):
                continue
            for arg, mapping in mappings.items():
                if mapping['from_student'] or not mapping.get('connector'):
                    continue
                connector = self.connectors[mapping['connector']]
                ofd = [
                    m for m in connector.modules()
                    if isinstance(m, OFDTeacherConnector)
                ]
                if not ofd:
                    continue
                source = self.teacher_recorders.get_recorder(
                    mapping['recorder']).source
                bn = modules.get(source)
                if not isinstance(bn, _BatchNorm):
                    raise TypeError(
                        f'OFDDistiller: loss {loss_name!r} argument '
                        f'{arg!r} records teacher module {source!r}, '
                        'which must be a BatchNorm layer to compute the '
                        f'OFD margin (got {type(bn).__name__})')
                margin = ofd_margin(bn.weight.data, bn.bias.data)
                for m in ofd:
                    m.init_margin(margin.to(bn.weight.device))
