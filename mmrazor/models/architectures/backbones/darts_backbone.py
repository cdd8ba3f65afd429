# Copyright (c) OpenMMLab. All rights reserved.
"""The cell-based network of `DARTS <https://arxiv.org/abs/1806.09055>`_."""
import copy
from typing import Dict, List, Optional, Sequence, Tuple

import torch
import torch.nn as nn
from mmengine.model import BaseModule
from torch import Tensor

from mmrazor.registry import MODELS
from ..ops.darts_series import FactorizedReduce


class StandardConv(nn.Sequential):
    """Activation, conv, norm (the ``ReLUConvBN`` of DARTS).

    Args:
        in_channels (int): Input channels.
        out_channels (int): Output channels.
        kernel_size (int): Kernel size.
        stride (int): Stride.
        padding (int): Padding.
        act_cfg (dict): Activation config.
        norm_cfg (dict): Norm config.
    """

    def __init__(self, in_channels: int, out_channels: int, kernel_size: int,
                 stride: int, padding: int, act_cfg: Dict,
                 norm_cfg: Dict) -> None:
        from mmcv.cnn import build_activation_layer, build_norm_layer
        super().__init__(
            build_activation_layer(copy.deepcopy(act_cfg)),
            nn.Conv2d(
                in_channels,
                out_channels,
                kernel_size,
                stride,
                padding,
                bias=False),
            build_norm_layer(copy.deepcopy(norm_cfg), out_channels)[1])


class Node(nn.Module):
    """One intermediate node of a cell: a route (``route_cfg``, e.g.
    ``DiffChoiceRoute``) over one mutable edge (``mutable_cfg``, e.g.
    ``DiffMutableOP``) per previous state.

    The route's alias is ``node_id`` (``normal_n2``) and the edges' aliases
    are ``{node_id}_p{i}`` (``normal_n2_p0``: the edge from state ``i``;
    states 0 and 1 are the cell inputs), so that the cells of one type
    share their architecture parameters and subnet choices.

    Args:
        node_id (str): The node name, e.g. ``'normal_n2'``.
        num_prev_nodes (int): The number of input states (edges).
        channels (int): Channels of every state.
        num_downsample_nodes (int): The first states reached with stride 2
            (2 in a reduction cell, else 0).
        mutable_cfg (dict): Config of the edge mutable.
        route_cfg (dict): Config of the route.
        norm_cfg (dict): Norm config passed to the candidate ops.
    """

    def __init__(self, node_id: str, num_prev_nodes: int, channels: int,
                 num_downsample_nodes: int, mutable_cfg: Dict, route_cfg: Dict,
                 norm_cfg: Dict) -> None:
        super().__init__()
        edges = nn.ModuleDict()
        for i in range(num_prev_nodes):
            stride = 2 if i < num_downsample_nodes else 1
            edge_id = f'{node_id}_p{i}'
            cfg = copy.deepcopy(mutable_cfg)
            module_kwargs = dict(cfg.get('module_kwargs') or {})
            module_kwargs.update(
                in_channels=channels,
                out_channels=channels,
                stride=stride,
                norm_cfg=copy.deepcopy(norm_cfg))
            cfg.update(module_kwargs=module_kwargs, alias=edge_id)
            edges.add_module(edge_id, MODELS.build(cfg))
        cfg = copy.deepcopy(route_cfg)
        cfg.update(edges=edges, alias=node_id)
        self.route = MODELS.build(cfg)

    def forward(self, prev_nodes: List[Tensor]) -> Tensor:
        """Combine the edges applied to the previous states."""
        return self.route(prev_nodes)


class Cell(nn.Module):
    """A DARTS cell: two preprocessed inputs, ``num_nodes`` intermediate
    nodes, output = concatenation of the intermediate nodes.

    Args:
        num_nodes (int): Intermediate nodes.
        channels (int): Channels of each node.
        prev_channels (int): Channels of the previous cell's output.
        prev_prev_channels (int): Channels of the output before that.
        reduction (bool): Whether this cell halves the resolution.
        prev_reduction (bool): Whether the previous cell did.
        mutable_cfg (dict): Config of the edge mutables.
        route_cfg (dict): Config of the node routes.
        act_cfg (dict): Activation config of the preprocessing.
        norm_cfg (dict): Norm config.
    """

    def __init__(self, num_nodes: int, channels: int, prev_channels: int,
                 prev_prev_channels: int, reduction: bool,
                 prev_reduction: bool, mutable_cfg: Dict, route_cfg: Dict,
                 act_cfg: Dict, norm_cfg: Dict) -> None:
        super().__init__()
        self.reduction = reduction
        if prev_reduction:
            self.preproc0: nn.Module = FactorizedReduce(
                prev_prev_channels, channels, norm_cfg)
        else:
            self.preproc0 = StandardConv(prev_prev_channels, channels, 1, 1, 0,
                                         act_cfg, norm_cfg)
        self.preproc1 = StandardConv(prev_channels, channels, 1, 1, 0, act_cfg,
                                     norm_cfg)
        prefix = 'reduce' if reduction else 'normal'
        self.nodes = nn.ModuleList([
            Node(f'{prefix}_n{depth}', depth, channels, 2 if reduction else 0,
                 mutable_cfg, route_cfg, norm_cfg)
            for depth in range(2, num_nodes + 2)
        ])

    def forward(self, s0: Tensor, s1: Tensor) -> Tensor:
        """Compute the cell output from the two previous outputs."""
        states = [self.preproc0(s0), self.preproc1(s1)]
        for node in self.nodes:
            states.append(node(states))
        return torch.cat(states[2:], dim=1)


class AuxiliaryModule(nn.Sequential):
    """The auxiliary tower of DARTS (CIFAR): ReLU, 5x5/3 average pooling,
    1x1 conv, norm, ReLU, 2x2 conv, norm, ReLU. Its output (``N x
    out_channels x 1 x 1`` for 8x8 inputs) feeds the auxiliary classifier of
    :class:`DartsSubnetClsHead`.

    Args:
        in_channels (int): Input channels.
        base_channels (int): Channels of the 1x1 conv.
        out_channels (int): Output channels.
        norm_cfg (dict): Norm config.
    """

    def __init__(self, in_channels: int, base_channels: int, out_channels: int,
                 norm_cfg: Dict) -> None:
        from mmcv.cnn import build_norm_layer
        super().__init__(
            nn.ReLU(inplace=False),
            nn.AvgPool2d(5, stride=3, padding=0, count_include_pad=False),
            nn.Conv2d(in_channels, base_channels, 1, bias=False),
            build_norm_layer(copy.deepcopy(norm_cfg), base_channels)[1],
            nn.ReLU(inplace=False),
            nn.Conv2d(base_channels, out_channels, 2, bias=False),
            build_norm_layer(copy.deepcopy(norm_cfg), out_channels)[1],
            nn.ReLU(inplace=False))


@MODELS.register_module()
class DartsBackbone(BaseModule):
    """The DARTS network: a stem conv, then ``num_layers`` cells, the ones
    at 1/3 and 2/3 of the depth being reduction cells (stride 2, doubled
    channels). Every edge of a cell is a mutable (``mutable_cfg``, e.g.
    ``DiffMutableOP`` over the DARTS ops) and every node a route
    (``route_cfg``, e.g. ``DiffChoiceRoute``); see :class:`Node` for the
    aliases (``normal_n2``, ``normal_n2_p0``, ...), which are also the keys
    of the DARTS subnet YAML.

    Args:
        in_channels (int): Input image channels.
        base_channels (int): Channels of the nodes of the first cells.
        mutable_cfg (dict): Config of the edge mutables; their
            ``module_kwargs`` get ``in_channels``, ``out_channels``,
            ``stride`` and ``norm_cfg``.
        route_cfg (dict): Config of the node routes (``edges`` and
            ``alias`` are filled in).
        num_layers (int): Number of cells. Defaults to 8.
        num_nodes (int): Intermediate nodes per cell. Defaults to 4.
        stem_multiplier (int): Stem channels = ``stem_multiplier *
            base_channels``. Defaults to 3.
        out_indices (Sequence[int]): Cells whose outputs are returned.
            Defaults to ``(7, )``.
        auxliary (bool): Add the auxiliary tower after the cell at 2/3 of
            the depth; its output is prepended to the outputs in training
            mode. Defaults to False.
        aux_channels (int, optional): Channels of the tower's 1x1 conv.
        aux_out_channels (int, optional): Output channels of the tower.
        act_cfg (dict): Activation config. Defaults to ``ReLU``.
        norm_cfg (dict): Norm config. Defaults to ``BN``.
        init_cfg (dict, optional): Initialization config.
    """

    def __init__(self,
                 in_channels: int,
                 base_channels: int,
                 mutable_cfg: Dict,
                 route_cfg: Dict,
                 num_layers: int = 8,
                 num_nodes: int = 4,
                 stem_multiplier: int = 3,
                 out_indices: Sequence[int] = (7, ),
                 auxliary: bool = False,
                 aux_channels: Optional[int] = None,
                 aux_out_channels: Optional[int] = None,
                 act_cfg: Dict = dict(type='ReLU'),
                 norm_cfg: Dict = dict(type='BN'),
                 init_cfg: Optional[Dict] = None) -> None:
        from mmcv.cnn import build_norm_layer
        super().__init__(init_cfg=init_cfg)
        for key, value in (('mutable_cfg', mutable_cfg), ('route_cfg',
                                                          route_cfg)):
            if not isinstance(value, dict) or 'type' not in value:
                raise TypeError(f'DartsBackbone: {key} must be a config dict '
                                f'with a `type`, got {value!r}')
        if num_layers < 1 or num_nodes < 1:
            raise ValueError('DartsBackbone: num_layers and num_nodes must '
                             f'be positive, got {num_layers}, {num_nodes}')
        out_indices = tuple(out_indices)
        bad = [i for i in out_indices if not 0 <= i < num_layers]
        if bad or not out_indices:
            raise ValueError(f'DartsBackbone: out_indices {out_indices} must '
                             f'be cell indices in [0, {num_layers})')
        self.in_channels = in_channels
        self.base_channels = base_channels
        self.num_layers = num_layers
        self.num_nodes = num_nodes
        self.out_indices = out_indices
        self.auxliary = auxliary

        stem_channels = stem_multiplier * base_channels
        self.stem = nn.Sequential(
            nn.Conv2d(in_channels, stem_channels, 3, 1, 1, bias=False),
            build_norm_layer(copy.deepcopy(norm_cfg), stem_channels)[1])

        prev_prev, prev, channels = stem_channels, stem_channels, \
            base_channels
        self.cells = nn.ModuleList()
        prev_reduction, reduction = False, False
        self.auxliary_indice = 2 * num_layers // 3
        self.out_channels: List[int] = []
        aux_in_channels = None
        for i in range(num_layers):
            prev_reduction, reduction = reduction, False
            if i in (num_layers // 3, 2 * num_layers // 3):
                channels *= 2
                reduction = True
            self.cells.append(
                Cell(num_nodes, channels, prev, prev_prev, reduction,
                     prev_reduction, mutable_cfg, route_cfg, act_cfg,
                     norm_cfg))
            prev_prev, prev = prev, num_nodes * channels
            self.out_channels.append(prev)
            if i == self.auxliary_indice:
                aux_in_channels = prev
        if auxliary:
            if aux_channels is None or aux_out_channels is None:
                raise ValueError('DartsBackbone with auxliary=True needs '
                                 '`aux_channels` and `aux_out_channels`')
            self.auxliary_module = AuxiliaryModule(aux_in_channels,
                                                   aux_channels,
                                                   aux_out_channels, norm_cfg)

    def forward(self, x: Tensor) -> Tuple[Tensor, ...]:
        """Outputs of the cells in ``out_indices`` (in training mode with
        ``auxliary``, the auxiliary tower's output comes first)."""
        outs = []
        aux = None
        s0 = s1 = self.stem(x)
        for i, cell in enumerate(self.cells):
            s0, s1 = s1, cell(s0, s1)
            if i in self.out_indices:
                outs.append(s1)
            if self.auxliary and self.training and \
                    i == self.auxliary_indice:
                aux = self.auxliary_module(s1)
        if aux is not None:
            outs.insert(0, aux)
        return tuple(outs)
