# Copyright (c) OpenMMLab. All rights reserved.
"""Overhead of ``SingleTeacherDistill.train_step`` over a hand-written
PyTorch step doing the same work.

Both steps train the same mmpretrain models (CIFAR ResNet-18 teacher,
half-width ResNet-18 student, 10 classes) on the same 32x32 batch of 64
with SGD: normalise the batch, teacher forward under no_grad, student
forward, cross entropy + KL-divergence KD loss, backward, step.
The steps are interleaved after a warm-up; medians are compared.

    python benchmarks/kd_overhead.py [--iters 30] [--device cpu|cuda]

The last line is ``ratio=<ours/plain>`` (target <= 1.05).
"""
import argparse
import copy
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


def build(device: str, tau: float):
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


def sync(device: str) -> None:
    if device.startswith('cuda'):
        torch.cuda.synchronize()


def main(argv=None) -> float:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--iters', type=int, default=30)
    parser.add_argument('--warmup', type=int, default=5)
    parser.add_argument(
        '--device', default='cuda' if torch.cuda.is_available() else 'cpu')
    args = parser.parse_args(argv)
    torch.manual_seed(0)
    tau = 4.0
    algo, optim, teacher, student, plain_optim = build(args.device, tau)
    data, images, labels = make_data(args.device)
    mean = torch.tensor([125.307, 122.961, 113.8575],
                        device=args.device).view(1, 3, 1, 1)
    std = torch.tensor([51.5865, 50.847, 51.255],
                       device=args.device).view(1, 3, 1, 1)

    def ours():
        algo.train_step(data, optim)

    def plain():
        plain_step(teacher, student, plain_optim, images, labels, mean, std,
                   tau)

    for _ in range(args.warmup):
        ours()
        plain()
    sync(args.device)
    times = dict(ours=[], plain=[])
    for i in range(args.iters):
        order = [('ours', ours), ('plain', plain)]
        if i % 2:
            order.reverse()
        for name, fn in order:
            sync(args.device)
            start = time.perf_counter()
            fn()
            sync(args.device)
            times[name].append(time.perf_counter() - start)
    med_ours = statistics.median(times['ours'])
    med_plain = statistics.median(times['plain'])
    print(f'device={args.device} batch=64 input=32x32 iters={args.iters} '
          f'warmup={args.warmup}')
    print(f'SingleTeacherDistill.train_step  median {med_ours * 1e3:.2f} ms')
    print(f'hand-written PyTorch step        median {med_plain * 1e3:.2f} ms')
    ratio = med_ours / med_plain
    print(f'ratio={ratio:.3f}')
    return ratio


if __name__ == '__main__':
    main()
