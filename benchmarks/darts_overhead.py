# Copyright (c) OpenMMLab. All rights reserved.
"""Overhead of a first-order ``Darts.train_step`` vs. a hand-written
PyTorch DARTS step doing the same work.

Both sides hold the same cells (the ``DartsBackbone`` of
``configs/_base_/nas_backbones/darts_supernet.py``, DARTS routes without
their own edge weights) with identical weights and architecture
parameters, and run one DARTS step on the same batches:

* ours: ``Darts.train_step((supernet_batch, mutator_batch), optim)`` with an
  ``OptimWrapperDict`` (SGD + grad clip for the weights, Adam for the arch
  params): mutables weighted by the softmax of their group's parameter,
  routes, data preprocessor, loss parsing, optimizer wrappers;
* plain: a PyTorch network with the same op modules whose cells compute
  ``sum_k softmax(alpha)_k * op_k(x)`` per edge (the softmax computed once
  per cell type and forward, as in the DARTS code), two ``torch.optim``
  optimizers: the gradient of the mutator-batch loss w.r.t. the arch params
  only (``torch.autograd.grad``, as ours does; ``loss_val.backward()`` of
  the original code also computes unused weight gradients) and an Adam
  step, then ``w_opt.zero_grad(); loss.backward(); clip; w_opt.step()``.

Steps are interleaved (ABBA order), warmed up, and the medians (with the
interquartile range) are compared. The second-order step of ours
(``unroll=True``) is timed in the same loop and its cost relative to the
first-order step is printed (the paper reports 4 vs 1.5 GPU days, ~2.7x).

Usage::

    python benchmarks/darts_overhead.py [--iters 10] [--batch 16]
        [--size 16] [--base-channels 8] [--layers 3] [--nodes 3]

The last line is ``ratio=<ours/plain>`` (target <= 1.10).
"""
import argparse
import copy
import os.path as osp
import time
from typing import List

import torch
import torch.nn as nn
import torch.nn.functional as F

REPO = osp.dirname(osp.dirname(osp.abspath(__file__)))


def build_ours(args, unroll: bool):
    import mmpretrain.registry  # noqa: F401
    from mmengine.config import Config

    import mmrazor  # noqa: F401
    from mmrazor.engine.optimizers import SeparateOptimWrapperConstructor
    from mmrazor.registry import MODELS
    cfg = Config.fromfile(
        osp.join(REPO, 'configs/_base_/nas_backbones/darts_supernet.py'))
    backbone = cfg.nas_backbone
    backbone.update(
        base_channels=args.base_channels,
        num_layers=args.layers,
        num_nodes=args.nodes,
        out_indices=(args.layers - 1, ),
        route_cfg=dict(type='mmrazor.DiffChoiceRoute', with_arch_param=False))
    channels = args.base_channels * args.nodes * 2**(
        sum(
            i in (args.layers // 3, 2 * args.layers // 3)
            for i in range(args.layers)))
    architecture = dict(
        type='mmcls.ImageClassifier',
        data_preprocessor=dict(
            type='mmcls.ClsDataPreprocessor',
            num_classes=10,
            mean=[0., 0., 0.],
            std=[1., 1., 1.]),
        backbone=backbone,
        neck=dict(type='mmcls.GlobalAveragePooling'),
        head=dict(
            type='mmcls.LinearClsHead',
            num_classes=10,
            in_channels=channels,
            loss=dict(type='mmcls.CrossEntropyLoss')))
    torch.manual_seed(0)
    model = MODELS.build(
        dict(type='mmrazor.Darts', architecture=architecture, unroll=unroll))
    optim = SeparateOptimWrapperConstructor(
        dict(
            architecture=dict(
                optimizer=dict(
                    type='SGD', lr=0.025, momentum=0.9, weight_decay=3e-4),
                clip_grad=dict(max_norm=5, norm_type=2)),
            mutator=dict(
                optimizer=dict(
                    type='Adam',
                    lr=3e-4,
                    betas=(0.5, 0.999),
                    weight_decay=1e-3))))(
                        model)
    return model, optim


class PlainDarts(nn.Module):
    """Hand-written DARTS network over (copies of) the same op modules."""

    def __init__(self, ours) -> None:
        super().__init__()
        arch = copy.deepcopy(ours.architecture)
        backbone = arch.backbone
        self.stem = backbone.stem
        self.cells = nn.ModuleList()
        self.reduction: List[bool] = []
        aliases = {}
        for cell in backbone.cells:
            plain = nn.Module()
            plain.preproc0, plain.preproc1 = cell.preproc0, cell.preproc1
            edges = nn.ModuleList()
            names = []
            for node in cell.nodes:
                for name, edge in node.route._candidates.items():
                    edges.append(nn.ModuleList(edge._candidates.values()))
                    names.append(name)
            plain.edges = edges
            self.cells.append(plain)
            self.reduction.append(cell.reduction)
            aliases['reduce' if cell.reduction else 'normal'] = names
        self.num_nodes = backbone.num_nodes
        self.fc = arch.head.fc
        # the same initial arch params as ours, one row per edge
        groups = ours.mutator.search_groups
        by_alias = {
            mutables[0].alias: ours.mutator.arch_params[str(key)]
            for key, mutables in groups.items()
        }
        self.alphas = nn.ParameterDict({
            kind:
            nn.Parameter(
                torch.stack([by_alias[n].detach().clone() for n in names]))
            for kind, names in aliases.items()
        })

    def forward(self, x):
        weights = {k: F.softmax(a, dim=-1) for k, a in self.alphas.items()}
        s0 = s1 = self.stem(x)
        for cell, reduction in zip(self.cells, self.reduction):
            w = weights['reduce' if reduction else 'normal']
            states = [cell.preproc0(s0), cell.preproc1(s1)]
            offset = 0
            for _ in range(self.num_nodes):
                states.append(
                    sum(
                        sum(wk * op(h)
                            for wk, op in zip(w[offset +
                                                j], cell.edges[offset + j]))
                        for j, h in enumerate(states)))
                offset += len(states) - 1
            s0, s1 = s1, torch.cat(states[2:], dim=1)
        return self.fc(F.adaptive_avg_pool2d(s1, 1).flatten(1))


def main():
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--iters', type=int, default=10)
    parser.add_argument('--warmup', type=int, default=2)
    parser.add_argument('--batch', type=int, default=16)
    parser.add_argument('--size', type=int, default=16)
    parser.add_argument('--base-channels', type=int, default=8)
    parser.add_argument('--layers', type=int, default=3)
    parser.add_argument('--nodes', type=int, default=3)
    parser.add_argument('--threads', type=int, default=1)
    args = parser.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)

    from mmpretrain.structures import DataSample

    ours, ours_optim = build_ours(args, unroll=False)
    second, second_optim = build_ours(args, unroll=True)
    plain = PlainDarts(ours)
    w_params = [p for n, p in plain.named_parameters() if 'alphas' not in n]
    w_opt = torch.optim.SGD(
        w_params, lr=0.025, momentum=0.9, weight_decay=3e-4)
    a_opt = torch.optim.Adam(
        plain.alphas.parameters(),
        lr=3e-4,
        betas=(0.5, 0.999),
        weight_decay=1e-3)

    alphas = list(plain.alphas.parameters())

    def plain_step(sup, mut):
        # arch step: gradient w.r.t. the arch params only (like ours)
        loss_val = F.cross_entropy(plain(mut[0]), mut[1])
        for a, g in zip(alphas, torch.autograd.grad(loss_val, alphas)):
            a.grad = g
        a_opt.step()
        a_opt.zero_grad()
        w_opt.zero_grad()
        loss = F.cross_entropy(plain(sup[0]), sup[1])
        loss.backward()
        nn.utils.clip_grad_norm_(w_params, max_norm=5, norm_type=2)
        w_opt.step()

    def batch():
        x = torch.rand(args.batch, 3, args.size, args.size)
        y = torch.randint(0, 10, (args.batch, ))
        packed = dict(
            inputs=x,
            data_samples=[DataSample().set_gt_label(int(i)) for i in y])
        return (x, y), packed

    sides = dict(
        ours=lambda s, m: ours.train_step((s[1], m[1]), ours_optim),
        plain=lambda s, m: plain_step(s[0], m[0]),
        second=lambda s, m: second.train_step((s[1], m[1]), second_optim))
    times = {k: [] for k in sides}
    for model in (ours, second, plain):
        model.train()
    for it in range(args.warmup + args.iters):
        sup, mut = batch(), batch()
        order = list(sides.items())
        if it % 2:
            order.reverse()
        for name, step in order:
            start = time.perf_counter()
            step(sup, mut)
            elapsed = time.perf_counter() - start
            if it >= args.warmup:
                times[name].append(elapsed)

    def stats(values):
        values = sorted(values)
        n = len(values)
        return values[n // 2], values[n // 4], values[(3 * n) // 4]

    print(f'batch={args.batch} size={args.size} iters={args.iters} '
          f'cells={args.layers} nodes={args.nodes} '
          f'base_channels={args.base_channels} '
          f'threads={torch.get_num_threads()}')
    print(f'{"step":<22}{"median (ms)":>12}{"IQR (ms)":>20}')
    labels = dict(
        ours='ours (first order)',
        plain='plain PyTorch',
        second='ours (second order)')
    med = {}
    for name in ('ours', 'plain', 'second'):
        m, q1, q3 = stats(times[name])
        med[name] = m
        print(f'{labels[name]:<22}{m * 1e3:>12.1f}'
              f'{f"{q1 * 1e3:.1f}-{q3 * 1e3:.1f}":>20}')
    print(f'second/first={med["second"] / med["ours"]:.2f}')
    print(f'ratio={med["ours"] / med["plain"]:.3f}')


if __name__ == '__main__':
    main()
