# Copyright (c) OpenMMLab. All rights reserved.
"""W8A8 PTQ accuracy and ONNX Runtime int8 speed, side by side.

1. The vanilla digits ResNet-18 (16 base channels, 16x16): fp32 vs W8A8
   PTQ (per-channel int8 weights, uint8 activations, OpenVINOQuantizer,
   8 calibration batches) test accuracy.
2. An mmpretrain ResNet-18 (standard widths, grey 32x32 input) trained
   briefly on digits: fp32 vs W8A8 PTQ accuracy.
3. The PTQ ResNet-18 exported as a QDQ ONNX model: agreement of ONNX
   Runtime's predictions with the fake-quant model on the test samples, and
   the speed-up of int8 ONNX Runtime over fp32 ONNX Runtime at 32x32 and
   224x224 input, batch 1 and 32, with and without the exact 1x1-kernel
   rewrite of the convolutions over 1x1 maps (layer4 at 32x32; at 224x224
   no map is 1x1, the rewrite leaves the graph unchanged and the rows say
   so). Both models go through the same ``export_qdq_onnx`` (same graph
   rewrites), run with the same session options (ORT_ENABLE_ALL, same
   threads) on the same input, after a warm-up, interleaved; the speed-up
   is the median of the per-run fp32/int8 ratios, with their interquartile
   range. The 224x224 models are the same networks (weights and
   quantization parameters of the 32x32 model: the latency does not depend
   on their values) exported at that size. The op counts of the int8 graph
   as ONNX Runtime runs it are printed.

Besides the accuracy drop, the number of test images whose prediction the
quantization changed (fp32 vs W8A8 fake-quant, out of how many) is printed
with its 95 % Wilson interval: an accuracy drop of 0 can hide changed
predictions in both directions.

The last printed line is::

    digits_changed=<k>/<n> resnet18_changed=<k>/<n> digits_drop_pp=<x>
    resnet18_drop_pp=<x> digits_fp32_acc=<%> digits_w8a8_acc=<%>
    resnet18_fp32_acc=<%> resnet18_w8a8_acc=<%> ort_agreement=<fraction>
    int8_speedup=<fp32 time / int8 time, 32x32, batch 32>
    speedup_<size>_bs<batch>[_norewrite]=<...> (every row)

Usage::

    python benchmarks/ptq_accuracy_speed.py [--digits-ckpt CKPT]
        [--work-dir work_dirs/benchmarks/ptq] [--threads 1]
        [--repeats 50] [--sizes 32 224] [--runs 3 [--vary-seed]]

``--repeats`` is the number of timed runs at batch 1 (a fifth of it, at
least 5, for batch 32 at 224x224). ``--runs N`` repeats the whole
benchmark in N fresh processes (the trained models are cached in the work
dir) and prints the median, min and max of each figure; with
``--vary-seed`` run i trains both models and draws the calibration images
with seed ``--seed + i`` (models cached per seed), so that the spread of
the accuracy figures covers training and calibration, not only timing.
"""
import argparse
import copy
import os
import os.path as osp
import subprocess
import sys
import time
import warnings

import numpy as np
import torch

REPO = osp.dirname(osp.dirname(osp.abspath(__file__)))
sys.path.insert(0, REPO)
DIGITS_CFG = osp.join(
    REPO, 'configs/vanilla/mmcls/digits/'
    'resnet18-w16_1xb32_digits.py')
PTQ_CFG = osp.join(
    REPO, 'configs/quantization/ptq/base/'
    'ptq_openvino_resnet18-w16_digits_calib8xb32.py')


def parse_args():
    from repeat_runs import add_runs_argument
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--digits-ckpt', help='trained vanilla checkpoint')
    parser.add_argument(
        '--work-dir', default=osp.join(REPO, 'work_dirs/benchmarks/ptq'))
    parser.add_argument('--resnet-epochs', type=int, default=6)
    parser.add_argument('--threads', type=int, default=1)
    parser.add_argument('--repeats', type=int, default=50)
    parser.add_argument(
        '--sizes',
        type=int,
        nargs='+',
        default=[32, 224],
        help='input sizes of the int8 speed measurement')
    add_runs_argument(parser)
    parser.add_argument(
        '--seed',
        type=int,
        default=0,
        help='seed of the two trainings and of the choice of calibration '
        'images (0: the first 256 training images, as the PTQ config)')
    parser.add_argument(
        '--vary-seed',
        action='store_true',
        help='with --runs N: run i trains and calibrates with seed '
        '--seed + i, so that the spread covers training and calibration')
    return parser.parse_args()


def load_split(split, img_size):
    from mmengine.dataset import pseudo_collate
    from mmengine.registry import DATASETS, DefaultScope
    with DefaultScope.overwrite_default_scope('mmcls'):
        ds = DATASETS.build(
            dict(
                type='mmrazor.DigitsDataset',
                split=split,
                img_size=img_size,
                channels=1,
                pipeline=[dict(type='mmcls.PackClsInputs')]))
    return pseudo_collate([ds[i] for i in range(len(ds))])


def batches(data, batch_size, shuffle=False, seed=0):
    n = len(data['inputs'])
    order = np.random.RandomState(seed).permutation(n) if shuffle \
        else np.arange(n)
    for start in range(0, n, batch_size):
        idx = order[start:start + batch_size]
        yield dict(
            inputs=[data['inputs'][i] for i in idx],
            data_samples=[data['data_samples'][i] for i in idx])


def predictions(model, data):
    """Predicted labels of ``data`` (in order)."""
    preds = []
    with torch.no_grad():
        for batch in batches(data, 128):
            preds.extend(
                int(out.pred_label.item()) for out in model.test_step(batch))
    return np.array(preds)


def accuracy(model, data):
    labels = np.array([int(d.gt_label.item()) for d in data['data_samples']])
    return 100.0 * float((predictions(model, data) == labels).mean())


def wilson_interval(k, n, z=1.96):
    """95 % Wilson score interval of the proportion ``k / n``."""
    if n == 0:
        return 0.0, 1.0
    p = k / n
    denom = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / denom
    half = z * np.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denom
    return max(0.0, centre - half), min(1.0, centre + half)


def changed_predictions(float_model, quant_model, data):
    """``(changed, n, low, high)``: test images whose prediction the
    quantization changed, and the 95 % interval of that share."""
    changed = int((predictions(float_model, data)
                   != predictions(quant_model, data)).sum())
    n = len(data['inputs'])
    low, high = wilson_interval(changed, n)
    return changed, n, low, high


def quant_model_cfg(architecture, data_preprocessor, input_shapes):
    from mmengine.config import Config
    cfg = Config.fromfile(PTQ_CFG)
    model_cfg = copy.deepcopy(cfg.model)
    model_cfg.architecture = architecture
    model_cfg.data_preprocessor = data_preprocessor
    model_cfg.float_checkpoint = None
    model_cfg.input_shapes = input_shapes
    return model_cfg


def ptq(float_model, model_cfg, calib, steps=8, seed=0):
    """Build MMArchitectureQuant around ``float_model``, calibrate on
    ``steps`` batches of 32 (the first ones, or a shuffle by ``seed``)."""
    from mmengine.registry import MODELS, DefaultScope

    from mmrazor.structures.quantization.torch_ao import (disable_observer,
                                                          enable_fake_quant,
                                                          enable_observer)
    model_cfg = copy.deepcopy(model_cfg)
    model_cfg.architecture = float_model
    with DefaultScope.overwrite_default_scope('mmcls'):
        qmodel = MODELS.build(model_cfg)
    qmodel.eval()
    qmodel.apply(enable_fake_quant)
    qmodel.apply(enable_observer)
    with torch.no_grad():
        for i, batch in enumerate(
                batches(calib, 32, shuffle=bool(seed), seed=seed)):
            if i >= steps:
                break
            qmodel.calibrate_step(batch)
    qmodel.apply(disable_observer)
    qmodel.sync_qparams('predict')
    return qmodel


def train_resnet18(train, val, epochs, work_dir, seed=0):
    """A standard mmpretrain ResNet-18 on 32x32 grey digits (cached)."""
    from mmengine.registry import MODELS, DefaultScope
    tag = f'_seed{seed}' if seed else ''
    ckpt = osp.join(work_dir, f'resnet18_digits32_{epochs}e{tag}.pth')
    arch = dict(
        type='mmcls.ImageClassifier',
        data_preprocessor=dict(
            type='mmcls.ClsDataPreprocessor',
            num_classes=10,
            mean=[127.5],
            std=[127.5],
            to_rgb=False),
        backbone=dict(
            type='mmcls.ResNet', depth=18, in_channels=1, out_indices=(3, )),
        neck=dict(type='mmcls.GlobalAveragePooling'),
        head=dict(
            type='mmcls.LinearClsHead',
            num_classes=10,
            in_channels=512,
            loss=dict(type='mmcls.CrossEntropyLoss'),
            topk=(1, )))
    torch.manual_seed(seed)
    with DefaultScope.overwrite_default_scope('mmcls'):
        model = MODELS.build(copy.deepcopy(arch))
    if osp.isfile(ckpt):
        model.load_state_dict(torch.load(ckpt, map_location='cpu'))
        return model, arch
    from mmengine.optim import OptimWrapper
    optim = OptimWrapper(
        torch.optim.SGD(
            model.parameters(), lr=0.05, momentum=0.9, weight_decay=5e-4))
    sched = torch.optim.lr_scheduler.OneCycleLR(
        optim.optimizer,
        max_lr=0.05,
        total_steps=epochs * ((len(train['inputs']) + 31) // 32))
    for epoch in range(epochs):
        model.train()
        for batch in batches(
                train, 32, shuffle=True, seed=epoch + 1000 * seed):
            model.train_step(batch, optim)
            sched.step()
        model.eval()
        print(
            f'  resnet18 epoch {epoch + 1}: val acc '
            f'{accuracy(model, val):.2f} %',
            flush=True)
    tmp = ckpt + '.tmp'
    torch.save(model.state_dict(), tmp)
    os.replace(tmp, ckpt)
    return model, arch


def ort_session(path, threads):
    import onnxruntime as ort
    so = ort.SessionOptions()
    so.intra_op_num_threads = threads
    so.inter_op_num_threads = 1
    so.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    return ort.InferenceSession(path, so, providers=['CPUExecutionProvider'])


def ort_optimized_ops(path, threads):
    """Op counts of the graph ONNX Runtime actually runs (same options as
    the timed sessions, written with ``optimized_model_filepath``)."""
    import collections

    import onnx
    import onnxruntime as ort
    so = ort.SessionOptions()
    so.intra_op_num_threads = threads
    so.inter_op_num_threads = 1
    so.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    so.log_severity_level = 3
    so.optimized_model_filepath = path[:-len('.onnx')] + '.ort_opt.onnx'
    ort.InferenceSession(path, so, providers=['CPUExecutionProvider'])
    graph = onnx.load(so.optimized_model_filepath).graph
    return collections.Counter(n.op_type for n in graph.node)


def latencies(sessions, x, repeats, warmup=5):
    """Times of each session's runs on ``x``; runs are interleaved so that
    load changes on a shared machine hit every session alike."""
    feeds = [{s.get_inputs()[0].name: x} for s in sessions]
    for sess, feed in zip(sessions, feeds):
        for _ in range(warmup):
            sess.run(None, feed)
    times = [[] for _ in sessions]
    for r in range(repeats):
        order = list(enumerate(zip(sessions, feeds)))
        if r % 2:
            order.reverse()
        for i, (sess, feed) in order:
            t0 = time.perf_counter()
            sess.run(None, feed)
            times[i].append(time.perf_counter() - t0)
    return times


def speedup(t_fp32, t_int8):
    """Median and quartiles of the per-run fp32/int8 ratios, medians of
    the two latencies."""
    ratios = np.asarray(t_fp32) / np.asarray(t_int8)
    q1, med, q3 = np.percentile(ratios, [25, 50, 75])
    return dict(
        fp32=float(np.median(t_fp32)),
        int8=float(np.median(t_int8)),
        ratio=float(med),
        q1=float(q1),
        q3=float(q3))


def conv_kernels(path):
    """Kernel shapes of the convolutions of an ONNX file (to tell whether
    the 1x1-map rewrite changed anything)."""
    import onnx
    model = onnx.load(path)
    inits = {i.name: tuple(i.dims) for i in model.graph.initializer}
    return [
        inits.get(n.input[1]) for n in model.graph.node
        if n.op_type in ('Conv', 'QLinearConv', 'ConvInteger')
    ] + [tuple(i.dims) for i in model.graph.initializer if len(i.dims) == 4]


def main():
    args = parse_args()
    if args.runs > 1:
        from repeat_runs import repeat_runs
        argv = [a for a in sys.argv[1:] if a != '--vary-seed']
        seeds = (lambda i: ['--seed', str(args.seed + i)]) \
            if args.vary_seed else None
        sys.exit(repeat_runs(__file__, argv, args.runs, seeds))
    warnings.filterwarnings('ignore')
    torch.set_num_threads(max(args.threads, 1))
    from mmengine.config import Config
    from mmengine.runner import load_checkpoint

    from mmrazor.models.quantizers.exporters import export_qdq_onnx
    from mmrazor.utils import register_all_modules
    from mmrazor.utils.mmcls_compat import get_model  # noqa: F401
    register_all_modules(False)
    os.makedirs(args.work_dir, exist_ok=True)

    # ---- 1. digits ResNet-18-w16 ----
    ckpt = args.digits_ckpt
    if not ckpt:
        vanilla_dir = osp.join(
            args.work_dir,
            f'vanilla_seed{args.seed}' if args.seed else 'vanilla')
        ckpt = osp.join(vanilla_dir, 'epoch_15.pth')
        if not osp.isfile(ckpt):
            print('training the vanilla digits model ...', flush=True)
            subprocess.run([
                sys.executable,
                osp.join(REPO, 'tools/train.py'), DIGITS_CFG, '--work-dir',
                vanilla_dir, '--cfg-options', f'randomness.seed={args.seed}'
            ],
                           check=True,
                           stdout=subprocess.DEVNULL)
    digits_cfg = Config.fromfile(DIGITS_CFG)
    from mmengine.registry import MODELS, DefaultScope
    with DefaultScope.overwrite_default_scope('mmcls'):
        digits_fp32 = MODELS.build(copy.deepcopy(digits_cfg.model))
    load_checkpoint(digits_fp32, ckpt, map_location='cpu', logger='silent')
    digits_fp32.eval()
    train16, test16 = load_split('train', 16), load_split('test', 16)
    acc_fp32_d = accuracy(digits_fp32, test16)
    qcfg = quant_model_cfg(
        copy.deepcopy(digits_cfg.model), digits_cfg.data_preprocessor,
        (1, 1, 16, 16))
    digits_q = ptq(copy.deepcopy(digits_fp32), qcfg, train16, seed=args.seed)
    acc_q_d = accuracy(digits_q, test16)
    changed_d = changed_predictions(digits_fp32, digits_q, test16)

    # ---- 2. mmpretrain ResNet-18 on 32x32 digits ----
    train32, val32, test32 = (
        load_split(s, 32) for s in ('train', 'val', 'test'))
    print('ResNet-18 (32x32) ...', flush=True)
    r18, arch = train_resnet18(train32, val32, args.resnet_epochs,
                               args.work_dir, args.seed)
    r18.eval()
    acc_fp32_r = accuracy(r18, test32)
    qcfg_r = quant_model_cfg(arch, arch['data_preprocessor'], (1, 1, 32, 32))
    r18_q = ptq(copy.deepcopy(r18), qcfg_r, train32, seed=args.seed)
    acc_q_r = accuracy(r18_q, test32)
    changed_r = changed_predictions(r18, r18_q, test32)

    # ---- 3. ONNX Runtime ----
    deploy = r18_q.get_deploy_model()
    dyn = {'input': {0: 'batch'}, 'output': {0: 'batch'}}
    fp32_tensor = copy.deepcopy(r18).eval()

    class Logits(torch.nn.Module):

        def __init__(self, model):
            super().__init__()
            self.model = model

        def forward(self, x):
            return self.model(x, None, 'tensor')

    def export(size):
        """fp32 and int8 ONNX files at ``size``, with and without the
        (exact) 1x1-kernel rewrite of the convolutions over 1x1 maps."""
        sample = torch.zeros(1, 1, size, size)
        paths = {}
        for rewrite in (True, False):
            tag = '' if rewrite else '_full_kernels'
            for kind, model, extra in (('fp32', Logits(fp32_tensor),
                                        {}), ('int8', deploy,
                                              dict(int8_weights=True))):
                path = osp.join(
                    args.work_dir, f'resnet18_{kind}_{size}{tag}.onnx'.replace(
                        'int8_', 'int8_qdq_'))
                export_qdq_onnx(
                    model,
                    sample,
                    path,
                    dynamic_axes=dyn,
                    shrink_single_pixel_convs=rewrite,
                    **extra)
                paths[kind, rewrite] = path
        return paths

    preproc = r18_q.data_preprocessor
    test_inputs = preproc(
        dict(inputs=test32['inputs'], data_samples=test32['data_samples']),
        False)['inputs']
    with torch.no_grad():
        fq_logits = r18_q(test_inputs, None, 'tensor').numpy()
    paths32 = export(32)
    int8_path, fp32_path = paths32['int8', True], paths32['fp32', True]
    sess_int8 = ort_session(int8_path, args.threads)
    ort_logits = sess_int8.run(None, {'input': test_inputs.numpy()})[0]
    agreement = float((ort_logits.argmax(1) == fq_logits.argmax(1)).mean())
    labels = np.array([int(d.gt_label.item()) for d in test32['data_samples']])
    acc_ort = 100.0 * float((ort_logits.argmax(1) == labels).mean())

    speed = {}  # (size, batch, rewrite) -> speedup()
    applies = {}  # size -> whether the rewrite changed the graph
    for size in args.sizes:
        paths = paths32 if size == 32 else export(size)
        applies[size] = any(
            conv_kernels(paths[kind, True]) != conv_kernels(paths[kind, False])
            for kind in ('fp32', 'int8'))
        variants = (True, False) if applies[size] else (True, )
        sessions = {
            (kind, rw): ort_session(paths[kind, rw], args.threads)
            for rw in variants
            for kind in ('fp32', 'int8')
        }
        keys = list(sessions)
        for bs in (1, 32):
            x = test_inputs[:bs]
            if size != 32:
                x = torch.nn.functional.interpolate(
                    x, size=(size, size), mode='bilinear')
            big = size * size * bs > 32 * 32 * 32
            repeats = max(5, args.repeats // 5) if big else args.repeats
            times = dict(
                zip(
                    keys,
                    latencies([sessions[k] for k in keys],
                              x.numpy(),
                              repeats,
                              warmup=2 if big else 5)))
            for rw in (True, False):
                src = rw if rw in variants else True
                speed[size, bs, rw] = dict(
                    speedup(times['fp32', src], times['int8', src]),
                    repeats=repeats)
            print(
                f'  int8 speed {size}x{size} batch {bs}: '
                f'{speed[size, bs, True]["ratio"]:.2f}x',
                flush=True)

    print()
    print('| model | fp32 acc | W8A8 fake-quant acc | drop (pp) |')
    print('|---|---|---|---|')
    print(f'| digits ResNet-18-w16 16x16 | {acc_fp32_d:.2f} | '
          f'{acc_q_d:.2f} | {acc_fp32_d - acc_q_d:.2f} |')
    print(f'| mmpretrain ResNet-18 32x32 | {acc_fp32_r:.2f} | '
          f'{acc_q_r:.2f} | {acc_fp32_r - acc_q_r:.2f} |')
    print()
    print('| model | predictions changed by W8A8 | share, 95 % interval |')
    print('|---|---|---|')
    for name, (k, n, low, high) in (('digits ResNet-18-w16 16x16', changed_d),
                                    ('mmpretrain ResNet-18 32x32', changed_r)):
        print(f'| {name} | {k} / {n} | {100 * k / n:.2f} % '
              f'[{100 * low:.2f}, {100 * high:.2f}] % |')
    print()
    print(f'ResNet-18 ONNX Runtime int8 test acc {acc_ort:.2f} %, '
          f'agreement with fake-quant {agreement:.4f} '
          f'({len(labels)} test samples)')
    print()
    print(f'ResNet-18 ONNX Runtime latency, {args.threads} thread(s); '
          'speed-up = median of the per-run fp32/int8 ratios [IQR]')
    print('| input | batch | 1x1-map rewrite | runs | fp32 ms | int8 ms | '
          'int8 speed-up [IQR] |')
    print('|---|---:|---|---:|---:|---:|---|')
    for (size, bs, rw), r in speed.items():
        note = ('on' if rw else 'off') if applies[size] else \
            'no 1x1 maps (same graph)'
        if not rw and not applies[size]:
            continue
        print(f'| {size}x{size} | {bs} | {note} | {r["repeats"]} | '
              f'{r["fp32"] * 1e3:.2f} | {r["int8"] * 1e3:.2f} | '
              f'{r["ratio"]:.2f}x [{r["q1"]:.2f}, {r["q3"]:.2f}] |')
    ops = ort_optimized_ops(int8_path, args.threads)
    print('int8 graph as ONNX Runtime runs it: ' +
          ', '.join(f'{k} {v}' for k, v in sorted(ops.items())))
    print(f'ONNX files: fp32 {osp.getsize(fp32_path) / 1e6:.2f} MB, '
          f'int8 QDQ {osp.getsize(int8_path) / 1e6:.2f} MB')
    main_speedup = speed.get((32, 32, True), dict(ratio=0.0))['ratio']
    print(f'digits_changed={changed_d[0]}/{changed_d[1]} '
          f'resnet18_changed={changed_r[0]}/{changed_r[1]} '
          f'digits_drop_pp={acc_fp32_d - acc_q_d:.2f} '
          f'resnet18_drop_pp={acc_fp32_r - acc_q_r:.2f} '
          f'digits_fp32_acc={acc_fp32_d:.2f} digits_w8a8_acc={acc_q_d:.2f} '
          f'resnet18_fp32_acc={acc_fp32_r:.2f} '
          f'resnet18_w8a8_acc={acc_q_r:.2f} '
          f'ort_agreement={agreement:.4f} '
          f'int8_speedup={main_speedup:.2f} ' +
          ' '.join(f'speedup_{size}_bs{bs}{"" if rw else "_norewrite"}='
                   f'{r["ratio"]:.2f}' for (size, bs, rw), r in speed.items()))


if __name__ == '__main__':
    main()
