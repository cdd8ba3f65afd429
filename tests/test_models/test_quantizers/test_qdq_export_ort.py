# Copyright (c) OpenMMLab. All rights reserved.
"""The QDQ ONNX export is laid out so that ONNX Runtime runs it in int8
(QLinearConv with the ReLU folded, QLinearAdd for residual additions)."""
import collections

import numpy as np
import pytest
import torch
import torch.nn as nn

from mmrazor.models.quantizers import OpenVINOQuantizer, TorchNativeQuantizer
from mmrazor.models.quantizers.exporters import ONNXOptimUtils, export_qdq_onnx
from mmrazor.structures.quantization.torch_ao import disable_observer
from mmrazor.testing import toy_global_qconfig


class ResNetLike(nn.Module):
    """A stem, two residual blocks (mmpretrain style: ``Identity``
    drop-path, ``out += identity``) and a linear head."""

    def __init__(self, c=16):
        super().__init__()
        self.stem = nn.Sequential(
            nn.Conv2d(3, c, 3, padding=1), nn.BatchNorm2d(c), nn.ReLU())
        self.pool = nn.MaxPool2d(2)
        self.blocks = nn.ModuleList()
        for _ in range(2):
            self.blocks.append(
                nn.ModuleDict(
                    dict(
                        conv1=nn.Conv2d(c, c, 3, padding=1),
                        bn1=nn.BatchNorm2d(c),
                        conv2=nn.Conv2d(c, c, 3, padding=1),
                        bn2=nn.BatchNorm2d(c),
                        drop_path=nn.Identity(),
                        relu=nn.ReLU())))
        self.fc = nn.Linear(c, 5)

    def forward(self, x):
        x = self.pool(self.stem(x))
        for b in self.blocks:
            out = b['relu'](b['bn1'](b['conv1'](x)))
            out = b['drop_path'](b['bn2'](b['conv2'](out)))
            out += x
            x = b['relu'](out)
        return self.fc(torch.flatten(x.mean((2, 3)), 1))


def _deploy(quantizer):
    torch.manual_seed(0)
    prepared = quantizer.prepare(ResNetLike())
    prepared.eval()
    with torch.no_grad():
        for _ in range(3):
            prepared(torch.randn(4, 3, 16, 16))
    prepared.apply(disable_observer)
    quantizer.post_process_for_deploy(
        prepared, update_weight_with_fakequant=True, keep_w_fake_quant=True)
    return prepared.eval()


def _ort_optimized(path, tmp_path):
    import onnx
    import onnxruntime as ort
    so = ort.SessionOptions()
    so.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    so.optimized_model_filepath = str(tmp_path / 'optimized.onnx')
    so.log_severity_level = 3
    sess = ort.InferenceSession(path, so, providers=['CPUExecutionProvider'])
    ops = collections.Counter(
        n.op_type for n in onnx.load(so.optimized_model_filepath).graph.node)
    return sess, ops


@pytest.mark.parametrize('quantizer_cls',
                         [OpenVINOQuantizer, TorchNativeQuantizer])
def test_ort_runs_convs_and_residual_adds_in_int8(quantizer_cls, tmp_path):
    import onnx
    deploy = _deploy(quantizer_cls(global_qconfig=toy_global_qconfig()))
    x = torch.randn(8, 3, 16, 16)
    path = export_qdq_onnx(deploy, x, str(tmp_path / 'm.onnx'))
    graph = onnx.load(path).graph
    data = ONNXOptimUtils.map_name_and_data(onnx.load(path))
    qdq = [
        n for n in graph.node
        if n.op_type in ('QuantizeLinear', 'DequantizeLinear')
    ]
    per_axis = [n for n in qdq if data[n.input[1]].ndim == 1]
    # per-tensor qparams are scalars, per-channel weights keep their axis
    assert per_axis and all(data[n.input[1]].size > 1 for n in per_axis)
    assert all(data[n.input[1]].ndim == 0 for n in qdq if n not in per_axis)
    sess, ops = _ort_optimized(path, tmp_path)
    assert ops['QLinearConv'] == 5
    assert ops['QLinearAdd'] == 2
    assert ops['Conv'] == 0 and ops['Add'] == 0 and ops['Relu'] == 0
    out = sess.run(None, {'input': x.numpy()})[0]
    with torch.no_grad():
        ref = deploy(x).numpy()
    assert (out.argmax(1) == ref.argmax(1)).mean() >= 0.85
    assert np.abs(out - ref).max() <= 0.1 * np.abs(ref).max()


def test_squeeze_per_tensor_qparams_is_exact(tmp_path):
    import onnx
    import onnxruntime as ort
    deploy = _deploy(TorchNativeQuantizer(global_qconfig=toy_global_qconfig()))
    x = torch.randn(4, 3, 16, 16)
    path = export_qdq_onnx(deploy, x, str(tmp_path / 'a.onnx'))
    model = onnx.load(path)
    # undo the rewrite: 1-element vectors, as torch exports them
    for init in model.graph.initializer:
        if init.name.endswith('_scalar'):
            init.dims.extend([1])
    vec_path = str(tmp_path / 'vec.onnx')
    onnx.save(model, vec_path)
    assert ONNXOptimUtils.squeeze_per_tensor_qparams(model) > 10
    assert ONNXOptimUtils.squeeze_per_tensor_qparams(model) == 0
    # the reference QDQ kernels (no fusion) give identical results
    so = ort.SessionOptions()
    so.graph_optimization_level = ort.GraphOptimizationLevel.ORT_DISABLE_ALL
    outs = []
    for p in (path, vec_path):
        sess = ort.InferenceSession(p, so, providers=['CPUExecutionProvider'])
        outs.append(sess.run(None, {'input': x.numpy()})[0])
    np.testing.assert_array_equal(outs[0], outs[1])


class SinglePixelNet(nn.Module):
    """A 2x2 input reaches 1x1 after the stride-2 stem."""

    def __init__(self):
        super().__init__()
        self.stem = nn.Sequential(
            nn.Conv2d(3, 8, 3, 2, 1), nn.BatchNorm2d(8), nn.ReLU())
        self.conv3 = nn.Conv2d(8, 8, 3, padding=1)
        self.conv5 = nn.Conv2d(8, 8, 5, padding=4, dilation=2)
        self.fc = nn.Linear(8, 3)

    def forward(self, x):
        x = torch.relu(self.conv3(self.stem(x)))
        return self.fc(torch.flatten(self.conv5(x), 1))


@pytest.mark.parametrize('quantized', [True, False])
def test_shrink_single_pixel_convs_is_exact(quantized, tmp_path):
    import onnx
    import onnxruntime as ort
    if quantized:
        torch.manual_seed(0)
        quantizer = TorchNativeQuantizer(global_qconfig=toy_global_qconfig())
        model = quantizer.prepare(SinglePixelNet()).eval()
        with torch.no_grad():
            model(torch.randn(8, 3, 2, 2))
        model.apply(disable_observer)
        quantizer.post_process_for_deploy(
            model, update_weight_with_fakequant=True, keep_w_fake_quant=True)
    else:
        model = SinglePixelNet().eval()
    x = torch.randn(6, 3, 2, 2)
    outs, kernels = [], []
    so = ort.SessionOptions()
    so.graph_optimization_level = ort.GraphOptimizationLevel.ORT_DISABLE_ALL
    for shrink in (True, False):
        path = export_qdq_onnx(
            model,
            x,
            str(tmp_path / f'{shrink}.onnx'),
            shrink_single_pixel_convs=shrink,
            dynamic_axes={'input': {
                0: 'batch'
            }})
        kernels.append([
            list(a.ints) for n in onnx.load(path).graph.node
            if n.op_type == 'Conv' for a in n.attribute
            if a.name == 'kernel_shape'
        ])
        sess = ort.InferenceSession(
            path, so, providers=['CPUExecutionProvider'])
        outs.append(sess.run(None, {'input': x.numpy()})[0])
    assert kernels[1] == [[3, 3], [3, 3], [5, 5]]
    # the stem sees a 2x2 map: kept; the others see one pixel
    assert kernels[0] == [[3, 3], [1, 1], [1, 1]]
    np.testing.assert_allclose(outs[0], outs[1], rtol=1e-5, atol=1e-5)
    # a dynamic spatial size is never shrunk
    path = export_qdq_onnx(
        model,
        x,
        str(tmp_path / 'dyn.onnx'),
        dynamic_axes={'input': {
            0: 'b',
            2: 'h',
            3: 'w'
        }})
    assert all(
        list(a.ints) != [1, 1] for n in onnx.load(path).graph.node
        if n.op_type == 'Conv' for a in n.attribute
        if a.name == 'kernel_shape')


def test_native_export_int8_weights(tmp_path):
    import onnx
    import onnxruntime as ort
    quantizer = TorchNativeQuantizer(global_qconfig=toy_global_qconfig())
    deploy = _deploy(quantizer)
    x = torch.randn(4, 3, 16, 16)
    so = ort.SessionOptions()
    so.graph_optimization_level = ort.GraphOptimizationLevel.ORT_DISABLE_ALL
    outs, sizes = [], []
    for int8 in (True, False):
        path = quantizer.export_onnx(
            deploy, x, str(tmp_path / f'{int8}.onnx'), int8_weights=int8)
        model = onnx.load(path)
        weights = [i for i in model.graph.initializer if len(i.dims) == 4]
        dtypes = {
            onnx.helper.tensor_dtype_to_np_dtype(i.data_type)
            for i in weights
        }
        assert dtypes == ({np.dtype('int8')}
                          if int8 else {np.dtype('float32')})
        sizes.append(sum(i.ByteSize() for i in weights))
        sess = ort.InferenceSession(
            path, so, providers=['CPUExecutionProvider'])
        outs.append(sess.run(None, {'input': x.numpy()})[0])
    assert sizes[0] * 3 < sizes[1]
    # the baked (fake-quantized) weights quantize to the same integers
    np.testing.assert_array_equal(outs[0], outs[1])
    # the default of the native quantizer
    path = quantizer.export_onnx(deploy, x, str(tmp_path / 'default.onnx'))
    ops = [n.op_type for n in onnx.load(path).graph.node]
    assert ops.count('DequantizeLinear') > ops.count('QuantizeLinear')
