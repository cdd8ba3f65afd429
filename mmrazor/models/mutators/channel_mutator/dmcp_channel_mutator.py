# Copyright (c) OpenMMLab. All rights reserved.
"""The channel mutator of DMCP: Markov channel probabilities."""
import random
from typing import Dict, List, Tuple, Union

import torch
from torch import Tensor, nn

from mmrazor.models.mutables import DMCPChannelUnit
from mmrazor.registry import MODELS
from .channel_mutator import ChannelMutator

SAMPLE_MODES = ('max', 'min', 'random', 'direct', 'expected')


@MODELS.register_module()
class DMCPChannelMutator(ChannelMutator[DMCPChannelUnit]):
    """Channel mutator of DMCP (Differentiable Markov Channel Pruning).

    Each mutable unit of ``n`` channels keeps its first ``min_ch = max(1,
    round(n * min_rate))`` channels; up to ``n * max_rate`` channels the
    rest forms ``num_groups`` groups of ``group_size = max(1, round(n *
    offset))``. Group ``k`` is kept, given group ``k - 1`` is, with
    probability ``exp(-max(alpha_k, 0))`` (one architecture parameter per
    group, in :attr:`arch_params`). :meth:`sample_subnet` sets the units'
    channels ('max', 'min', 'random', 'direct': a sample of the Markov
    chain, 'expected': the expected number, differentiable) and
    :meth:`expected_flops` is the FLOPs (MFLOPs) of the expected channels.

    Args:
        channel_unit_cfg (dict): Defaults to ``DMCPChannelUnit``.
        parse_cfg (dict): Defaults to the ChannelAnalyzer with the
            BackwardTracer.
        pruning_cfg (tuple): ``(min_rate, max_rate, offset)``. Defaults to
            ``(0.1, 1, 0.05)``.
    """

    def __init__(self,
                 channel_unit_cfg: Dict = dict(type='DMCPChannelUnit'),
                 parse_cfg: Dict = dict(
                     _scope_='mmrazor',
                     type='ChannelAnalyzer',
                     demo_input=(1, 3, 224, 224),
                     tracer_type='BackwardTracer'),
                 pruning_cfg: Tuple = (0.1, 1, 0.05),
                 **kwargs) -> None:
        super().__init__(channel_unit_cfg, parse_cfg, **kwargs)
        min_rate, max_rate, offset = pruning_cfg
        if not 0 < min_rate <= max_rate <= 1 or not 0 < offset <= 1:
            raise ValueError(
                'DMCPChannelMutator: pruning_cfg must be (min_rate, max_rate,'
                ' offset) with 0 < min_rate <= max_rate <= 1 and 0 < offset '
                f'<= 1, got {pruning_cfg}')
        self.pruning_cfg = tuple(pruning_cfg)
        self.arch_params = nn.ParameterList()
        self.arch_attrs: List[Tuple[int, int, int]] = []
        self._conv_shapes: Dict[nn.Module, Tuple[int, ...]] = {}
        self._flops_modules: List[Tuple[str, nn.Module]] = []

    def prepare_from_supernet(self, supernet: nn.Module) -> None:
        """Find the units, then create the architecture parameters."""
        super().prepare_from_supernet(supernet)
        self.prepare_arch_params(supernet)

    def prepare_arch_params(self, supernet: nn.Module) -> None:
        """One parameter per channel group of every mutable unit; bind them
        to the units' :class:`DMCPBatchNorm2d`."""
        from mmrazor.models.architectures.dynamic_ops import DMCPBatchNorm2d
        min_rate, max_rate, offset = self.pruning_cfg
        self.arch_params = nn.ParameterList()
        self.arch_attrs = []
        for i, unit in enumerate(self.mutable_units):
            n = unit.num_channels
            min_ch = max(1, int(round(n * min_rate)))
            group_size = max(1, int(round(n * offset)))
            num_groups = max(0, (int(n * max_rate) - min_ch) // group_size)
            self.arch_params.append(nn.Parameter(torch.zeros(num_groups)))
            self.arch_attrs.append((group_size, num_groups, min_ch))
            for channel in unit.output_related:
                if isinstance(channel.module, DMCPBatchNorm2d):
                    channel.module.arch_binding = self._binding(i)
        root = getattr(supernet, 'backbone', supernet)
        self._flops_modules = [(name, m) for name, m in root.named_modules()
                               if isinstance(m, (nn.Conv2d, nn.Linear))]
        for _, m in self._flops_modules:
            m.register_forward_hook(self._record_shape)

    def _binding(self, index: int):

        def binding():
            return self.arch_params[index], self.arch_attrs[index]

        return binding

    def _record_shape(self, module, inputs, output) -> None:
        self._conv_shapes[module] = tuple(output.shape)

    # ----------------------------------------------------------- sampling
    def _markov_probs(self, index: int) -> Tensor:
        from mmrazor.models.architectures.dynamic_ops.bricks.dmcp_batch_norm \
            import markov_probs
        return markov_probs(self.arch_params[index])

    def sample_subnet(self,
                      mode: str = 'max',
                      arch_train: bool = False) -> Dict[str, int]:
        """Set the channels of every mutable unit.

        Args:
            mode (str): 'max', 'min', 'random', 'direct' (Markov sample)
                or 'expected' (the expected channels, rounded; the exact
                expectation is kept in ``activated_tensor_channels``).
            arch_train (bool): Reweight the batch norms by the channel
                probabilities (architecture training). Defaults to False.

        Returns:
            dict: ``{unit_name: channels}``.
        """
        if mode not in SAMPLE_MODES:
            raise ValueError(f'DMCPChannelMutator: sample mode must be one '
                             f'of {SAMPLE_MODES}, got {mode!r}')
        choices = {}
        for i, unit in enumerate(self.mutable_units):
            group_size, num_groups, min_ch = self.arch_attrs[i]
            n = unit.num_channels
            expected = None
            if mode == 'max' or num_groups == 0:
                num = n
            elif mode == 'min':
                num = min_ch
            elif mode == 'random':
                num = min_ch + group_size * random.randint(0, num_groups)
            elif mode == 'direct':
                probs = self._markov_probs(i).detach()
                k = 0
                while k < num_groups and random.random() < float(probs[k]):
                    k += 1
                num = min_ch + group_size * k
            else:
                probs = self._markov_probs(i).cumprod(0)
                expected = min_ch + group_size * probs.sum()
                num = int(round(float(expected)))
            if num_groups and num >= min_ch + group_size * num_groups:
                num = n  # the remainder joins the last group
            num = max(1, min(n, num))
            unit.current_choice = num if unit.is_num_mode else num / n
            unit.mutable_channel.activated_tensor_channels = expected
            choices[unit.name] = num
        self.set_arch_train(arch_train)
        return choices

    def set_arch_train(self, arch_train: bool) -> None:
        """Switch the probability reweighting of the batch norms."""
        from mmrazor.models.architectures.dynamic_ops import DMCPBatchNorm2d
        for unit in self.mutable_units:
            for channel in unit.output_related:
                if isinstance(channel.module, DMCPBatchNorm2d):
                    channel.module.arch_train = arch_train

    # ---------------------------------------------------------------- FLOPs
    def _channels_of(self, module: nn.Module, is_out: bool,
                     full: int) -> Union[Tensor, float]:
        attr = 'out_channels' if is_out else 'in_channels'
        if isinstance(module, nn.Linear):
            attr = 'out_features' if is_out else 'in_features'
        container = module.get_mutable_attr(attr) if hasattr(
            module, 'get_mutable_attr') else None
        if container is None:
            return float(full)
        total: Union[Tensor, float] = 0.0
        for (start, end), mutable in container.mutable_channels.items():
            source = mutable
            ratio = 1.0
            sources = getattr(mutable, 'source_mutables', None)
            if sources and len(sources) == 1 and \
                    type(mutable).__name__ == 'DerivedMutable':
                source = list(sources)[0]
                ratio = (end - start) / source.num_channels
            tensor = getattr(source, 'activated_tensor_channels', None)
            if tensor is not None:
                total = total + tensor * ratio
            else:
                total = total + float(source.activated_channels) * ratio
        return total

    def expected_flops(self) -> Union[Tensor, float]:
        """FLOPs (M) of the backbone's convs and linears with the current
        channels, using the expected channel numbers (differentiable) where
        ``sample_subnet('expected')`` set them. Needs one forward first (for
        the feature map sizes).

        Raises:
            RuntimeError: No forward has run yet.
        """
        flops: Union[Tensor, float] = 0.0
        for name, m in self._flops_modules:
            shape = self._conv_shapes.get(m)
            if shape is None:
                raise RuntimeError(
                    f'DMCPChannelMutator: {name} has not run yet; run a '
                    'forward of the model before expected_flops()')
            if isinstance(m, nn.Conv2d):
                c_in = self._channels_of(m, False, m.in_channels)
                c_out = self._channels_of(m, True, m.out_channels)
                k = m.kernel_size[0] * m.kernel_size[1]
                positions = shape[2] * shape[3]
                if m.groups > 1 and m.groups == m.in_channels == \
                        m.out_channels:
                    flops = flops + c_out * k * positions
                else:
                    flops = flops + c_in * c_out * k * positions / m.groups
            else:
                c_in = self._channels_of(m, False, m.in_features)
                c_out = self._channels_of(m, True, m.out_features)
                rows = 1
                for s in shape[1:-1]:
                    rows *= s
                flops = flops + c_in * c_out * rows
        return flops / 1e6
