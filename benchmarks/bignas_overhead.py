# Copyright (c) OpenMMLab. All rights reserved.
"""Overhead of ``BigNAS.train_step`` against a hand-written PyTorch sandwich
step, and the latency of an exported static subnet.

Part 1. The AttentiveNAS supernet (``configs/_base_/nas_backbones/
attentive_mobilenetv3_supernet.py``, small input sizes for the CPU) runs
one sandwich step per iteration on both sides, on the same batches and the
same subnets (max, min and two random ones, pinned per iteration):

* ours: ``BigNAS.train_step`` (mutator, dynamic ops, recorders,
  ``ConfigurableDistiller`` with ``KLDivergence``, the optim wrapper
  accumulating 4 updates);
* plain: a functional forward that slices the same supernet weights by
  hand (``weight[:out, :in]`` and the centre crop of the kernel, BN on
  sliced statistics), cross-entropy on the max subnet, ``F.kl_div`` against
  the detached max logits on the others, one backward per subnet (loss /
  4) and one ``SGD.step``.

Drop path and the neck dropout are off on both sides. Runs alternate which
side goes first, after warm-up; medians and spread are printed.

Part 2. The min subnet exported as a static model
(``export_fix_subnet(..., slice_weight=True)``) against the supernet set to
the same min choice: median eval-mode forward latency (batch 1). Target
static/dynamic <= 0.7 (the static export removes the dynamic overhead).

Usage::

    python benchmarks/bignas_overhead.py [--iters 10] [--batch 8]

The last line is ``ratio=<ours/plain>`` (target <= 1.10).
"""
import argparse
import copy
import os.path as osp
import random
import statistics
import time

import torch
import torch.nn.functional as F

REPO = osp.dirname(osp.dirname(osp.abspath(__file__)))
SIZES = [[96, 96], [128, 128]]


def build():
    import mmpretrain.registry  # noqa: F401
    from mmengine.config import Config

    import mmrazor  # noqa: F401
    from mmrazor.registry import MODELS
    cfg = Config.fromfile(
        osp.join(
            REPO,
            'configs/nas/mmcls/bignas/attentive_mobilenet_supernet_32xb64_in1k'
            '.py'))
    model = copy.deepcopy(cfg.model)
    model.drop_path_rate = 0.
    model.architecture.neck.drop_ratio = 0.
    model.architecture.input_resizer_cfg = dict(input_sizes=SIZES)
    model.architecture.head.loss = dict(type='mmcls.CrossEntropyLoss')
    return MODELS.build(model)


# -- the plain side -----------------------------------------------------------
def _bn(x, bn, c):
    return F.batch_norm(x, bn.running_mean[:c], bn.running_var[:c],
                        bn.weight[:c], bn.bias[:c], bn.training,
                        bn.momentum or 0., bn.eps)


def _swish(x):
    return x * torch.sigmoid(x)


def _crop(w, k):
    s = (w.shape[-1] - k) // 2
    return w[:, :, s:s + k, s:s + k]


def _block(x, blk, in_c, out_c, k, er, first):
    from mmrazor.models.utils import make_divisible
    mid = in_c * er
    out = x
    if blk.with_expand_conv:
        out = _swish(
            _bn(F.conv2d(out, blk.expand_conv.conv.weight[:mid, :in_c]),
                blk.expand_conv.bn, mid))
    dw = blk.depthwise_conv
    stride = dw.conv.stride
    out = _swish(
        _bn(
            F.conv2d(out, _crop(dw.conv.weight[:mid], k), None, stride,
                     k // 2, 1, mid), dw.bn, mid))
    if blk.with_se:
        sq = make_divisible(mid / 4, 8)
        s = out.mean((2, 3), keepdim=True)
        s = F.relu(
            F.conv2d(s, blk.se.conv1.conv.weight[:sq, :mid],
                     blk.se.conv1.conv.bias[:sq]))
        s = F.conv2d(s, blk.se.conv2.conv.weight[:mid, :sq],
                     blk.se.conv2.conv.bias[:mid])
        out = out * (F.relu6(s + 3.) / 6.)
    out = _bn(
        F.conv2d(out, blk.linear_conv.conv.weight[:out_c, :mid]),
        blk.linear_conv.bn, out_c)
    sc = x
    if first:
        if stride[0] > 1:
            pad = 0 if sc.size(-1) % 2 == 0 else 1
            sc = F.avg_pool2d(sc, stride[0], padding=pad, ceil_mode=True)
        if in_c != out_c:
            sc = F.conv2d(sc, blk.shortcut.conv.conv.weight[:out_c, :in_c])
    return sc + out


def plain_logits(arch, sub, x):
    """Forward of the subnet ``sub`` on the supernet weights, by hand."""
    bb = arch.backbone
    x = F.interpolate(
        x, size=sub['input_shape'], mode='bicubic', align_corners=False)
    c = sub['first']
    x = _swish(
        _bn(
            F.conv2d(x, bb.first_conv.conv.weight[:c], None, 2, 1),
            bb.first_conv.bn, c))
    in_c = c
    for i, (out_c, depth, k, er) in enumerate(sub['stages']):
        layer = getattr(bb, f'layer{i + 1}')
        for j in range(depth):
            x = _block(x, layer[j], in_c, out_c, k, er, j == 0)
            in_c = out_c
    last = bb.last_conv
    mid = in_c * 6
    x = _swish(
        _bn(
            F.conv2d(x, last.final_expand_layer.conv.weight[:mid, :in_c]),
            last.final_expand_layer.bn, mid))
    x = x.mean((2, 3), keepdim=True)
    lc = sub['last']
    x = _swish(F.conv2d(x, last.feature_mix_layer.conv.weight[:lc, :mid]))
    x = x.flatten(1)
    fc = arch.head.fc
    return F.linear(x, fc.weight[:, :lc], fc.bias)


def describe(arch) -> dict:
    """The plain numbers of the architecture's current subnet."""
    bb = arch.backbone
    stages = []
    for i, layer in enumerate(bb.layers[:-1]):
        out = bb.stage_mutable_out_channels[i].current_choice
        blk = layer[0]
        stages.append(
            (out, layer.get_mutable_attr('depth').current_choice,
             blk.depthwise_conv.conv.get_mutable_attr(
                 'kernel_size').current_choice,
             blk.mutable_expand_ratio.current_choice))
    return dict(
        first=bb.first_mutable_channels.current_choice,
        last=bb.last_mutable_channels.current_choice,
        stages=stages,
        input_shape=tuple(
            arch.input_resizer.get_mutable_attr('shape').current_choice))


def plain_step(arch, optimizer, x, y, subs):
    optimizer.zero_grad()
    n = len(subs)
    teacher = None
    for i, sub in enumerate(subs):
        logits = plain_logits(arch, sub, x)
        if i == 0:
            loss = F.cross_entropy(logits, y)
            teacher = logits.detach()
        else:
            loss = F.kl_div(
                F.log_softmax(logits, 1),
                F.softmax(teacher, 1),
                reduction='batchmean')
        (loss / n).backward()
    optimizer.step()


def median_spread(values):
    values = sorted(values)
    return statistics.median(values), values[0], values[-1]


def main():
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--iters', type=int, default=10)
    parser.add_argument('--warmup', type=int, default=2)
    parser.add_argument('--batch', type=int, default=8)
    parser.add_argument('--threads', type=int, default=1)
    parser.add_argument('--latency-iters', type=int, default=30)
    args = parser.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    random.seed(0)

    from mmengine.logging import MessageHub
    from mmengine.optim import OptimWrapper
    from mmpretrain.structures import DataSample

    from mmrazor.structures.subnet import export_fix_subnet

    ours = build()
    plain = copy.deepcopy(ours)
    mutator = ours.mutator
    hub = MessageHub.get_current_instance()
    hub.update_info('iter', 0)
    hub.update_info('max_iters', args.warmup + args.iters)
    ours_optim = OptimWrapper(torch.optim.SGD(ours.parameters(), lr=1e-3))
    plain_optim = torch.optim.SGD(plain.parameters(), lr=1e-3)

    times = dict(ours=[], plain=[])
    sample = mutator.sample_choices
    for it in range(args.warmup + args.iters):
        # the subnets of this iteration, pinned for both sides
        randoms = [sample('random') for _ in range(2)]
        subs = []
        for choices in [sample('max'), sample('min')] + randoms:
            mutator.set_choices(choices)
            subs.append(describe(ours.architecture))
        queue = list(randoms)
        mutator.sample_choices = lambda kind='random': queue.pop(0) \
            if kind == 'random' else sample(kind)
        imgs = torch.randint(0, 255, (args.batch, 3, 128, 128)).float()
        labels = torch.randint(0, 1000, (args.batch, ))
        data = dict(
            inputs=list(imgs),
            data_samples=[DataSample().set_gt_label(int(v)) for v in labels])
        x = plain.data_preprocessor(data, True)['inputs']
        order = ['ours', 'plain'] if it % 2 == 0 else ['plain', 'ours']
        for side in order:
            start = time.perf_counter()
            if side == 'ours':
                ours.train()
                ours.train_step(data, ours_optim)
            else:
                plain.train()
                plain_step(plain.architecture, plain_optim, x, labels, subs)
            elapsed = time.perf_counter() - start
            if it >= args.warmup:
                times[side].append(elapsed)
        mutator.sample_choices = sample

    # part 2: static min subnet vs the supernet at the min choice
    arch = ours.architecture.eval()
    mutator.set_min_choices()
    _, static = export_fix_subnet(arch, slice_weight=True)
    static.eval()
    x1 = torch.rand(1, 3, 128, 128)
    lat = dict(dynamic=[], static=[])
    with torch.no_grad():
        for it in range(5 + args.latency_iters):
            pairs = [('dynamic', arch), ('static', static)]
            if it % 2:
                pairs.reverse()
            for name, model in pairs:
                start = time.perf_counter()
                model(x1, mode='tensor')
                if it >= 5:
                    lat[name].append(time.perf_counter() - start)

    o, o_lo, o_hi = median_spread(times['ours'])
    p, p_lo, p_hi = median_spread(times['plain'])
    d, d_lo, d_hi = median_spread(lat['dynamic'])
    s, s_lo, s_hi = median_spread(lat['static'])
    print(f'batch={args.batch} sizes={SIZES} iters={args.iters} '
          f'threads={torch.get_num_threads()}')
    print('sandwich train_step (max + min + 2 random, in-place KD), ms: '
          'median [min, max]')
    print(f'  ours  (BigNAS.train_step) {o * 1e3:8.1f} '
          f'[{o_lo * 1e3:.1f}, {o_hi * 1e3:.1f}]')
    print(f'  plain (hand-sliced)       {p * 1e3:8.1f} '
          f'[{p_lo * 1e3:.1f}, {p_hi * 1e3:.1f}]')
    print('min subnet forward, batch 1, 128x128, ms: median [min, max]')
    print(f'  supernet at min choice    {d * 1e3:8.2f} '
          f'[{d_lo * 1e3:.2f}, {d_hi * 1e3:.2f}]')
    print(f'  exported static subnet    {s * 1e3:8.2f} '
          f'[{s_lo * 1e3:.2f}, {s_hi * 1e3:.2f}]')
    print(f'static_latency_ratio={s / d:.3f}')
    print(f'ratio={o / p:.3f}')


if __name__ == '__main__':
    main()
