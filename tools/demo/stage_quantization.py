# Copyright (c) OpenMMLab. All rights reserved.
"""Demo stage: quantize the vanilla digits classifier.

* PTQ (W8A8, per-channel int8 weights) with ``tools/ptq.py``;
* QAT and LSQ (3 epochs each, from the float checkpoint) with
  ``tools/train.py``;
* the PTQ model exported to a QDQ ONNX file and run with ONNX Runtime (int8
  kernels) next to the fp32 ONNX model: accuracy, model size, latency.
"""
import glob
import os
import os.path as osp
import time
import warnings
from typing import List

from common import (REPO, DemoContext, build_model, evaluate_accuracy,
                    flops_params, latest_checkpoint, run_tool)

QUANT = osp.join(REPO, 'configs/quantization')
PTQ_CFG = osp.join(
    QUANT, 'ptq/base/'
    'ptq_openvino_resnet18-w16_digits_calib8xb32.py')
QAT_CFG = osp.join(QUANT, 'qat/base/qat_openvino_resnet18-w16_digits.py')
LSQ_CFG = osp.join(QUANT, 'qat/lsq/lsq_openvino_resnet18-w16_digits.py')


def _quant_model(config: str, checkpoint: str):
    """Build the algorithm (float weights come from ``checkpoint``)."""
    from mmengine.config import Config
    from mmengine.registry import MODELS, DefaultScope
    from mmengine.runner import load_checkpoint

    from mmrazor.utils import register_all_modules
    register_all_modules(False)
    cfg = Config.fromfile(config)
    cfg.model.float_checkpoint = None
    with DefaultScope.overwrite_default_scope(cfg.get('default_scope')):
        model = MODELS.build(cfg.model)
    load_checkpoint(model, checkpoint, map_location='cpu', logger='silent')
    model.eval()
    return model, cfg


def _test_arrays(cfg):
    import numpy as np
    import torch
    from mmengine.dataset import pseudo_collate
    from mmengine.registry import DATASETS, DefaultScope
    with DefaultScope.overwrite_default_scope(cfg.get('default_scope')):
        dataset = DATASETS.build(dict(cfg.test_dataloader.dataset))
    batch = pseudo_collate([dataset[i] for i in range(len(dataset))])
    labels = np.array([int(d.gt_label.item()) for d in batch['data_samples']])
    return batch, labels, torch


def _ort(path: str, threads: int = 1):
    import onnxruntime as ort
    so = ort.SessionOptions()
    so.intra_op_num_threads = threads
    so.inter_op_num_threads = 1
    return ort.InferenceSession(path, so, providers=['CPUExecutionProvider'])


def _latencies(sessions, x, repeats: int = 30) -> List[float]:
    """Median latency per session (runs interleaved: fair under load)."""
    import numpy as np
    feeds = [{s.get_inputs()[0].name: x} for s in sessions]
    for sess, feed in zip(sessions, feeds):
        for _ in range(5):
            sess.run(None, feed)
    times = [[] for _ in sessions]
    for _ in range(repeats):
        for i, (sess, feed) in enumerate(zip(sessions, feeds)):
            start = time.perf_counter()
            sess.run(None, feed)
            times[i].append(time.perf_counter() - start)
    return [float(np.median(t)) for t in times]


def run(ctx: DemoContext) -> List[dict]:
    warnings.filterwarnings('ignore')
    work = osp.join(ctx.work_dir, 'quantization')
    ckpt = ctx.vanilla_ckpt
    rows = []

    # ---- PTQ with tools/ptq.py ----
    wall = run_tool(ctx, 'ptq.py', [
        PTQ_CFG, '--work-dir',
        osp.join(work, 'ptq'), '--cfg-options',
        f'model.float_checkpoint={ckpt}'
    ], 'quantization/ptq.log')
    ptq_ckpt = sorted(glob.glob(osp.join(work, 'ptq', '*',
                                         'model_ptq.pth')))[-1]
    qmodel, qcfg = _quant_model(PTQ_CFG, ptq_ckpt)
    acc_ptq = evaluate_accuracy(qmodel, qcfg, 'test')
    fp32, vcfg = build_model(ctx.vanilla_config, ckpt)
    acc_fp32 = ctx.results.get('vanilla_test_acc') or evaluate_accuracy(
        fp32, vcfg, 'test')
    cost = flops_params(fp32, (1, 16, 16))
    rows.append(
        dict(
            stage='quantization',
            model='PTQ W8A8 fake-quant (OpenVINO scheme)',
            accuracy=acc_ptq,
            wall_s=wall,
            note=f'tools/ptq.py, 8x32 calib; drop '
            f'{acc_fp32 - acc_ptq:.2f} pp vs fp32',
            **cost))

    # ---- ONNX Runtime: int8 QDQ vs fp32 ----
    import torch

    from mmrazor.models.quantizers.exporters import export_qdq_onnx
    start = time.perf_counter()
    deploy = qmodel.get_deploy_model()
    batch, labels, _ = _test_arrays(qcfg)
    inputs = qmodel.data_preprocessor(batch, False)['inputs']
    dyn = {'input': {0: 'batch'}, 'output': {0: 'batch'}}
    int8_path = osp.join(work, 'resnet18-w16_digits_int8_qdq.onnx')
    fp32_path = osp.join(work, 'resnet18-w16_digits_fp32.onnx')
    export_qdq_onnx(
        deploy, inputs[:1], int8_path, dynamic_axes=dyn, int8_weights=True)

    class Logits(torch.nn.Module):

        def __init__(self, model):
            super().__init__()
            self.model = model

        def forward(self, x):
            return self.model(x, None, 'tensor')

    export_qdq_onnx(Logits(fp32), inputs[:1], fp32_path, dynamic_axes=dyn)
    sess_int8, sess_fp32 = _ort(int8_path), _ort(fp32_path)
    x = inputs.numpy()
    pred_int8 = sess_int8.run(None, {'input': x})[0].argmax(1)
    pred_fp32 = sess_fp32.run(None, {'input': x})[0].argmax(1)
    with torch.no_grad():
        pred_fq = qmodel(inputs, None, 'tensor').argmax(1).numpy()
    acc_int8 = 100.0 * float((pred_int8 == labels).mean())
    acc_ort_fp32 = 100.0 * float((pred_fp32 == labels).mean())
    agreement = float((pred_int8 == pred_fq).mean())
    t_fp32, t_int8 = _latencies([sess_fp32, sess_int8], x[:32])
    # the files themselves: int8 initializers for the quantized weights
    size_fp32 = os.path.getsize(fp32_path) / 1e6
    size_int8 = os.path.getsize(int8_path) / 1e6
    wall_ort = time.perf_counter() - start
    rows.append(
        dict(
            stage='quantization',
            model='fp32 ONNX Runtime',
            accuracy=acc_ort_fp32,
            wall_s=wall_ort,
            note=f'batch-32 latency {t_fp32 * 1e3:.2f} ms; file '
            f'{size_fp32:.2f} MB',
            **cost))
    rows.append(
        dict(
            stage='quantization',
            model='int8 ONNX Runtime (QDQ export of PTQ)',
            accuracy=acc_int8,
            wall_s=wall_ort,
            note=f'batch-32 latency {t_int8 * 1e3:.2f} ms '
            f'({t_fp32 / t_int8:.2f}x fp32); file {size_int8:.2f} MB; '
            f'agrees with fake-quant on {agreement * 100:.1f} %',
            **cost))
    ctx.results['quant_ptq_acc'] = acc_ptq
    ctx.results['quant_ort_agreement'] = agreement

    # ---- QAT and LSQ with tools/train.py ----
    for name, cfg_path in (('QAT', QAT_CFG), ('LSQ', LSQ_CFG)):
        out = osp.join(work, name.lower())
        wall = run_tool(ctx, 'train.py', [
            cfg_path, '--work-dir', out, '--cfg-options',
            f'model.float_checkpoint={ckpt}'
        ], f'quantization/{name.lower()}.log')
        model, cfg = _quant_model(cfg_path, latest_checkpoint(out))
        acc = evaluate_accuracy(model, cfg, 'test')
        rows.append(
            dict(
                stage='quantization',
                model=f'{name} W8A8 fake-quant (3 epochs)',
                accuracy=acc,
                wall_s=wall,
                note=f'tools/train.py from fp32; drop '
                f'{acc_fp32 - acc:.2f} pp',
                **cost))
    return rows
