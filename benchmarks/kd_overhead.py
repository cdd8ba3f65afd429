# Copyright (c) OpenMMLab. All rights reserved.
"""Overhead of a distillation ``train_step`` over a hand-written PyTorch
step doing the same work, for logits KD and for feature KD.

* ``logits``: ``SingleTeacherDistill`` with KL-divergence on the logits
  of mmpretrain models (CIFAR ResNet-18 teacher, half-width ResNet-18
  student, 10 classes), a 32x32 batch of 64. Both steps normalise the
  batch, run the teacher under no_grad, the student forward, cross entropy
  + KD loss, backward, SGD step.
* ``feature``: ``FpnTeacherDistill`` with ChannelWiseDivergence (CWD)
  between the five FPN outputs of an mmdet RetinaNet-R101 teacher and a
  RetinaNet-R50 student, the CWD config of ``configs/distill/mmdet/cwd``
  (random weights), ``--det-batch`` images of ``--det-size`` pixels with
  three boxes each. Ours records the FPN convs with recorders; the plain
  step normalises the batch, runs ``teacher.extract_feat`` under no_grad,
  ``student.extract_feat`` + ``bbox_head.loss`` and the same CWD on the
  returned FPN maps by hand, backward, SGD step.

The two sides alternate which runs first after a warm-up; medians are
compared (with the interquartile range of the per-step ratios).

    python benchmarks/kd_overhead.py [--iters 30] [--device cpu|cuda] \
        [--cases logits feature] [--det-size 128] [--runs 3]

``--runs N`` repeats the whole measurement in N fresh processes and
prints the median, min and max of each figure. The last line is
``ratio=<worst ours/plain> logits_ratio=<...> feature_ratio=<...>``
(target <= 1.05).
"""
import argparse
import copy
import logging
import os.path as osp
import statistics
import sys
import time

import torch
import torch.nn.functional as F

sys.path.insert(0, osp.dirname(osp.dirname(osp.abspath(__file__))))


def classifier(base: int) -> dict:
    return dict(
        type='mmcls.ImageClassifier',
        data_preprocessor=dict(
            type='mmcls.ClsDataPreprocessor',
            num_classes=10,
            mean=[125.307, 122.961, 113.8575],
            std=[51.5865, 50.847, 51.255],
            to_rgb=False),
        backbone=dict(
            type='mmcls.ResNet_CIFAR',
            depth=18,
            stem_channels=base,
            base_channels=base,
            out_indices=(3, )),
        neck=dict(type='mmcls.GlobalAveragePooling'),
        head=dict(
            type='mmcls.LinearClsHead',
            num_classes=10,
            in_channels=base * 8,
            loss=dict(type='mmcls.CrossEntropyLoss', loss_weight=1.0)))


def build_logits(device: str, tau: float):
    from mmengine.optim import OptimWrapper

    import mmrazor  # noqa: F401
    from mmrazor.registry import MODELS
    algo = MODELS.build(
        dict(
            type='mmrazor.SingleTeacherDistill',
            architecture=classifier(32),
            teacher=classifier(64),
            distiller=dict(
                type='ConfigurableDistiller',
                student_recorders=dict(
                    fc=dict(type='ModuleOutputs', source='head.fc')),
                teacher_recorders=dict(
                    fc=dict(type='ModuleOutputs', source='head.fc')),
                distill_losses=dict(
                    loss_kl=dict(type='KLDivergence', tau=tau)),
                loss_forward_mappings=dict(
                    loss_kl=dict(
                        preds_S=dict(from_student=True, recorder='fc'),
                        preds_T=dict(from_student=False, recorder='fc'))))))
    algo.to(device).train()
    teacher = copy.deepcopy(algo.teacher)
    student = copy.deepcopy(algo.student)
    optim = OptimWrapper(
        torch.optim.SGD(algo.student.parameters(), lr=0.01, momentum=0.9))
    plain_optim = torch.optim.SGD(student.parameters(), lr=0.01, momentum=0.9)
    return algo, optim, teacher, student, plain_optim


def make_data(device: str, batch: int = 64):
    from mmpretrain.structures import DataSample
    g = torch.Generator().manual_seed(0)
    images = torch.randint(0, 255, (batch, 3, 32, 32), generator=g).float()
    labels = torch.randint(0, 10, (batch, ), generator=g)
    samples = [DataSample().set_gt_label(int(label)) for label in labels]
    data = dict(inputs=images.to(device), data_samples=samples)
    return data, images.to(device), labels.to(device)


def plain_step(teacher, student, optim, images, labels, mean, std, tau):
    x = (images - mean) / std
    teacher.eval()  # as teacher_norm_eval: BN in eval mode
    with torch.no_grad():
        t_logits = teacher.head.fc(teacher.neck(teacher.backbone(x))[0])
    s_logits = student.head.fc(student.neck(student.backbone(x))[0])
    ce = F.cross_entropy(s_logits, labels)
    kd = tau**2 * F.kl_div(
        F.log_softmax(s_logits / tau, dim=1),
        F.softmax(t_logits / tau, dim=1),
        reduction='batchmean')
    loss = ce + kd
    loss.backward()
    optim.step()
    optim.zero_grad()
    return loss.detach()


CWD_CFG = osp.join(
    osp.dirname(osp.dirname(osp.abspath(__file__))),
    'configs/distill/mmdet/cwd/cwd_fpn_retina_r101_retina_r50_1x_coco.py')


def logits_case(device: str):
    """``(ours, plain, description)`` of the logits-KD step."""
    tau = 4.0
    algo, optim, teacher, student, plain_optim = build_logits(device, tau)
    data, images, labels = make_data(device)
    mean = torch.tensor([125.307, 122.961, 113.8575],
                        device=device).view(1, 3, 1, 1)
    std = torch.tensor([51.5865, 50.847, 51.255],
                       device=device).view(1, 3, 1, 1)

    def ours():
        algo.train_step(data, optim)

    def plain():
        plain_step(teacher, student, plain_optim, images, labels, mean, std,
                   tau)

    return ours, plain, ('logits KD, SingleTeacherDistill, ResNet-18 '
                         'CIFAR, batch 64, 32x32')


def det_data(batch: int, size: int, device: str):
    """Random images and three random boxes per image."""
    from mmdet.structures import DetDataSample
    from mmengine.structures import InstanceData
    g = torch.Generator().manual_seed(0)
    inputs, samples = [], []
    for _ in range(batch):
        inputs.append(
            torch.randint(
                0, 255, (3, size, size), generator=g,
                dtype=torch.uint8).to(device))
        xy = torch.rand(3, 2, generator=g) * size * 0.6
        wh = torch.rand(3, 2, generator=g) * size * 0.3 + size * 0.1
        sample = DetDataSample(
            metainfo=dict(
                img_shape=(size, size),
                ori_shape=(size, size),
                scale_factor=(1.0, 1.0)))
        sample.gt_instances = InstanceData(
            bboxes=torch.cat([xy, xy + wh], 1).to(device),
            labels=torch.randint(0, 80, (3, ), generator=g).to(device))
        samples.append(sample)
    return dict(inputs=inputs, data_samples=samples)


def cwd(preds_S, preds_T, tau: float, loss_weight: float):
    """ChannelWiseDivergence written out: softmax over H*W per channel,
    ``tau^2 * sum KL(p_T || p_S) / (N * C)``."""
    N, C, H, W = preds_S.shape
    flat_T = preds_T.detach().reshape(-1, H * W) / tau
    flat_S = preds_S.reshape(-1, H * W) / tau
    p_T = F.softmax(flat_T, dim=1)
    loss = torch.sum(p_T * F.log_softmax(flat_T, dim=1) -
                     p_T * F.log_softmax(flat_S, dim=1))
    return loss_weight * loss * tau**2 / (C * N)


def feature_case(device: str, batch: int, size: int):
    """``(ours, plain, description)`` of the CWD feature-KD step."""
    if size % 32:
        # the plain step does not pad (the data preprocessor pads to 32)
        raise ValueError(f'--det-size must be a multiple of 32, got {size}')
    from mmengine.config import Config
    from mmengine.logging import MMLogger
    from mmengine.optim import OptimWrapper

    import mmrazor  # noqa: F401
    from mmrazor.registry import MODELS
    cfg = Config.fromfile(CWD_CFG)
    model_cfg = cfg.model
    model_cfg.teacher_ckpt = None  # random weights, no download
    algo = MODELS.build(model_cfg)
    # the detectors' own initialisation (focal-loss prior of the class
    # logits, ...) without the ImageNet backbone download
    for det in (algo.student, algo.teacher):
        det.backbone.init_cfg = None
    logger = MMLogger.get_current_instance()
    level = logger.level
    logger.setLevel(logging.WARNING)
    algo.init_weights()
    logger.setLevel(level)
    algo.to(device).train()
    loss_cfg = model_cfg.distiller.distill_losses.loss_cwd_fpn0
    tau, loss_weight = loss_cfg.tau, loss_cfg.loss_weight
    teacher = copy.deepcopy(algo.teacher).eval()
    student = copy.deepcopy(algo.student).train()
    optim = OptimWrapper(
        torch.optim.SGD(algo.student.parameters(), lr=1e-3, momentum=0.9))
    plain_optim = torch.optim.SGD(student.parameters(), lr=1e-3, momentum=0.9)
    data = det_data(batch, size, device)
    # the metainfo the data preprocessor adds (batch_input_shape,
    # pad_shape), once; the plain step normalises the images itself
    samples = algo.data_preprocessor(copy.deepcopy(data), True)['data_samples']
    pre = algo.data_preprocessor
    mean, std = pre.mean.view(1, 3, 1, 1), pre.std.view(1, 3, 1, 1)

    def ours():
        algo.train_step(data, optim)

    def plain():
        x = torch.stack(data['inputs'])[:, [2, 1, 0]].float()  # BGR->RGB
        x = (x - mean) / std
        with torch.no_grad():
            feats_T = teacher.extract_feat(x)
        feats_S = student.extract_feat(x)
        losses = student.bbox_head.loss(feats_S, samples)
        loss = sum(
            sum(v) if isinstance(v, (list, tuple)) else v
            for v in losses.values())
        for f_S, f_T in zip(feats_S, feats_T):
            loss = loss + cwd(f_S, f_T, tau, loss_weight)
        loss.backward()
        plain_optim.step()
        plain_optim.zero_grad()

    return ours, plain, (f'feature KD, FpnTeacherDistill, CWD on 5 FPN '
                         f'levels, RetinaNet-R101 -> R50, batch {batch}, '
                         f'{size}x{size}')


def sync(device: str) -> None:
    if device.startswith('cuda'):
        torch.cuda.synchronize()


def time_pair(ours, plain, iters: int, warmup: int, device: str):
    """Per-step times of both sides, interleaved (ABBA order)."""
    for _ in range(warmup):
        ours()
        plain()
    sync(device)
    times = dict(ours=[], plain=[])
    for i in range(iters):
        order = [('ours', ours), ('plain', plain)]
        if i % 2:
            order.reverse()
        for name, fn in order:
            sync(device)
            start = time.perf_counter()
            fn()
            sync(device)
            times[name].append(time.perf_counter() - start)
    return times['ours'], times['plain']


def quartiles(values):
    q = statistics.quantiles(values, n=4)
    return q[0], q[2]


def main(argv=None) -> float:
    from repeat_runs import add_runs_argument
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--iters', type=int, default=30)
    parser.add_argument('--warmup', type=int, default=5)
    parser.add_argument(
        '--device', default='cuda' if torch.cuda.is_available() else 'cpu')
    parser.add_argument(
        '--cases',
        nargs='+',
        choices=['logits', 'feature'],
        default=['logits', 'feature'])
    parser.add_argument(
        '--det-size',
        type=int,
        default=128,
        help='image size of the feature case, a multiple of 32')
    parser.add_argument('--det-batch', type=int, default=1)
    add_runs_argument(parser)
    argv = sys.argv[1:] if argv is None else list(argv)
    args = parser.parse_args(argv)
    if args.runs > 1:
        from repeat_runs import repeat_runs
        sys.exit(repeat_runs(__file__, argv, args.runs))
    ratios = {}
    for case in args.cases:
        torch.manual_seed(0)
        if case == 'logits':
            ours, plain, what = logits_case(args.device)
        else:
            ours, plain, what = feature_case(args.device, args.det_batch,
                                             args.det_size)
        t_ours, t_plain = time_pair(ours, plain, args.iters, args.warmup,
                                    args.device)
        med_ours = statistics.median(t_ours)
        med_plain = statistics.median(t_plain)
        q1, q3 = quartiles([a / b for a, b in zip(t_ours, t_plain)])
        print(f'{what}; device={args.device} threads='
              f'{torch.get_num_threads()} iters={args.iters} '
              f'warmup={args.warmup}')
        print(f'  ours  (train_step)      median {med_ours * 1e3:.2f} ms')
        print(f'  plain (hand-written)    median {med_plain * 1e3:.2f} ms')
        print(
            f'  ratio of medians {med_ours / med_plain:.3f} (per-step '
            f'ratios IQR {q1:.3f}-{q3:.3f})',
            flush=True)
        ratios[case] = med_ours / med_plain
    print(f'ratio={max(ratios.values()):.3f} ' +
          ' '.join(f'{c}_ratio={r:.3f}' for c, r in ratios.items()))
    return max(ratios.values())


if __name__ == '__main__':
    main()
