# Copyright (c) OpenMMLab. All rights reserved.
"""LSQ (``LearnableFakeQuantize``) models export to ONNX as QDQ /
OpenVINO ``FakeQuantize`` nodes and run in ONNX Runtime."""
import numpy as np
import pytest
import torch
import torch.nn as nn

from mmrazor.models.fake_quants import (LearnableFakeQuantize,
                                        enable_static_estimate, enable_val)
from mmrazor.models.quantizers import OpenVINOQuantizer, TensorRTQuantizer
from mmrazor.testing import toy_global_qconfig


def lsq_qconfig(a_dtype: str = 'quint8') -> dict:
    return toy_global_qconfig(lsq=True, a_dtype=a_dtype, a_symmetry=True)


class TinyNet(nn.Module):

    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(3, 8, 3, padding=1)
        self.bn1 = nn.BatchNorm2d(8)
        self.relu = nn.ReLU()
        self.conv2 = nn.Conv2d(8, 8, 3, padding=1)
        self.fc = nn.Linear(8, 4)

    def forward(self, x):
        x = self.relu(self.bn1(self.conv1(x)))
        x = self.relu(self.conv2(x) + x)
        return self.fc(torch.flatten(x.mean((2, 3), keepdim=True), 1))


def _lsq_deploy(quantizer):
    torch.manual_seed(0)
    prepared = quantizer.prepare(TinyNet())
    prepared.eval()
    prepared.apply(enable_static_estimate)
    with torch.no_grad():
        for _ in range(3):
            prepared(torch.randn(4, 3, 8, 8))
    prepared.apply(enable_val)
    quantizer.post_process_for_deploy(
        prepared, update_weight_with_fakequant=True, keep_w_fake_quant=True)
    prepared.eval()
    lsq = [
        m for m in prepared.modules() if isinstance(m, LearnableFakeQuantize)
    ]
    assert any(m.ch_axis == 0 and m.scale.numel() == 8 for m in lsq)
    assert any(m.ch_axis == -1 and m.scale.numel() == 1 for m in lsq)
    return prepared


def _max_act_step(model):
    """The largest step of the (per-tensor) activation fake-quants."""
    return max(
        float(m.scale.max()) for m in model.modules()
        if isinstance(m, LearnableFakeQuantize) and m.ch_axis < 0)


def test_lsq_export_qdq_matches_fake_quant(tmp_path):
    import onnx
    import onnxruntime as ort
    quantizer = TensorRTQuantizer(global_qconfig=lsq_qconfig('qint8'))
    deploy = _lsq_deploy(quantizer)
    x = torch.randn(16, 3, 8, 8)
    path = quantizer.export_onnx(
        deploy,
        x[:1],
        str(tmp_path / 'lsq.onnx'),
        dynamic_axes={'input': {
            0: 'batch'
        }})
    graph = onnx.load(path).graph
    ops = [n.op_type for n in graph.node]
    # every fake-quant became a QDQ pair; no LSQ arithmetic left
    assert ops.count('QuantizeLinear') >= 4
    assert ops.count('DequantizeLinear') >= ops.count('QuantizeLinear')
    assert 'Round' not in ops and 'Div' not in ops
    per_axis = [
        n for n in graph.node
        if n.op_type == 'DequantizeLinear' and any(a.name == 'axis'
                                                   for a in n.attribute)
    ]
    assert per_axis  # per-channel LSQ weights
    sess = ort.InferenceSession(path, providers=['CPUExecutionProvider'])
    out = sess.run(None, {'input': x.numpy()})[0]
    with torch.no_grad():
        ref = deploy(x).numpy()
    # within one activation quantization step, through the last layer
    tol = _max_act_step(deploy) * float(
        deploy.fc.weight.detach().abs().sum(1).max())
    assert np.abs(out - ref).max() <= tol
    assert np.abs(out - ref).mean() <= 0.1 * tol


def test_lsq_export_openvino_fakequantize(tmp_path):
    import onnx
    quantizer = OpenVINOQuantizer(global_qconfig=lsq_qconfig())
    deploy = _lsq_deploy(quantizer)
    path = quantizer.export_onnx(deploy, torch.randn(1, 3, 8, 8),
                                 str(tmp_path / 'lsq_ov.onnx'))
    nodes = onnx.load(path).graph.node
    ops = [n.op_type for n in nodes]
    assert ops.count('FakeQuantize') >= 4
    assert not {'QuantizeLinear', 'DequantizeLinear', 'Round'} & set(ops)


def test_lsq_export_refuses_low_bit(tmp_path):
    cfg = lsq_qconfig()
    cfg['a_qscheme'] = dict(qdtype='quint8', bit=4, is_symmetry=True)
    quantizer = OpenVINOQuantizer(global_qconfig=cfg)
    deploy = _lsq_deploy(quantizer)
    with pytest.raises(ValueError, match='8-bit'):
        quantizer.export_onnx(deploy, torch.randn(1, 3, 8, 8),
                              str(tmp_path / 'x.onnx'))
