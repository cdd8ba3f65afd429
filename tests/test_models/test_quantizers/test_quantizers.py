# Copyright (c) OpenMMLab. All rights reserved.
import os.path as osp

import numpy as np
import pytest
import torch
import torch.nn as nn

from mmrazor.models.quantizers import (AcademicQuantizer, OpenVINOQuantizer,
                                       TensorRTQuantizer, TorchNativeQuantizer)
from mmrazor.registry import MODELS
from mmrazor.structures.quantization.torch_ao import (FakeQuantize,
                                                      FakeQuantizeBase,
                                                      disable_observer, nni,
                                                      nniqat, nnqat)
from mmrazor.testing import ConvBNReLU


def qconfig(a_dtype='quint8',
            a_sym=False,
            w_observer='PerChannelMinMaxObserver'):
    return dict(
        w_observer=dict(type=f'mmrazor.{w_observer}'),
        a_observer=dict(type='mmrazor.MinMaxObserver'),
        w_fake_quant=dict(type='mmrazor.FakeQuantize'),
        a_fake_quant=dict(type='mmrazor.FakeQuantize'),
        w_qscheme=dict(
            qdtype='qint8', bit=8, is_symmetry=True, is_symmetric_range=True),
        a_qscheme=dict(qdtype=a_dtype, bit=8, is_symmetry=a_sym))


class Net(nn.Module):

    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(3, 8, 3, padding=1)
        self.bn1 = nn.BatchNorm2d(8)
        self.relu = nn.ReLU()
        self.pool = nn.MaxPool2d(2)
        self.conv2 = nn.Conv2d(8, 8, 3, padding=1)
        self.relu6 = nn.ReLU6()
        self.fc = nn.Linear(8, 4)

    def forward(self, x):
        x = self.pool(self.relu(self.bn1(self.conv1(x))))
        x = self.relu6(self.conv2(x))
        x = torch.flatten(x.mean((2, 3), keepdim=True), 1)
        return self.fc(x)


def _fq_nodes(gm):
    modules = dict(gm.named_modules(remove_duplicate=False))
    return [
        n for n in gm.graph.nodes if n.op == 'call_module'
        and isinstance(modules.get(n.target), FakeQuantizeBase)
    ]


def _calibrate(prepared, shape=(4, 3, 8, 8), steps=3):
    prepared.eval()
    torch.manual_seed(0)
    with torch.no_grad():
        for _ in range(steps):
            prepared(torch.randn(shape))
    prepared.apply(disable_observer)


def test_native_prepare_structure():
    quantizer = MODELS.build(
        dict(type='mmrazor.TorchNativeQuantizer', global_qconfig=qconfig()))
    assert quantizer.backend == 'native'
    model = Net()
    prepared = quantizer.prepare(model)
    assert isinstance(prepared.conv1, nniqat.ConvBnReLU2d)
    assert isinstance(prepared.conv2, nnqat.Conv2d)
    assert isinstance(prepared.fc, nnqat.Linear)
    assert prepared.conv1.weight is model.conv1.weight  # shared
    assert isinstance(model.conv1, nn.Conv2d)  # float model untouched
    assert prepared(torch.randn(2, 3, 8, 8)).shape == (2, 4)


def test_openvino_removes_redundant_fakequants():
    native = TorchNativeQuantizer(global_qconfig=qconfig())
    ov = OpenVINOQuantizer(global_qconfig=qconfig())
    n_native = len(_fq_nodes(native.prepare(Net())))
    prepared = ov.prepare(Net())
    nodes = _fq_nodes(prepared)
    assert len(nodes) < n_native
    users = {u.op for n in nodes for u in n.users}
    assert 'output' not in users  # none before the output
    modules = dict(prepared.named_modules(remove_duplicate=False))
    for node in prepared.graph.nodes:
        if node.op == 'call_module' and isinstance(modules[node.target],
                                                   (nn.MaxPool2d, nn.ReLU6)):
            if isinstance(modules[node.target], nn.MaxPool2d):
                assert not any(u in nodes for u in node.users)
            else:
                assert not any(a in nodes for a in node.all_input_nodes)


def test_extra_redundant_fakequants_and_no_observer_modules():
    q = TorchNativeQuantizer(
        global_qconfig=qconfig(),
        extra_redundant_fakequants=dict(
            extra_op_prev_wo_fakequant=('output', ),
            extra_function_next_wo_fakequant=('torch.flatten', )))
    nodes = _fq_nodes(q.prepare(Net()))
    assert 'output' not in {u.op for n in nodes for u in n.users}
    with pytest.raises(KeyError, match='extra_redundant_fakequants'):
        TorchNativeQuantizer(
            global_qconfig=qconfig(), extra_redundant_fakequants=dict(foo=()))
    q2 = TorchNativeQuantizer(
        global_qconfig=qconfig(), no_observer_modules=['torch.nn.Linear'])
    prepared = q2.prepare(Net())
    assert type(prepared.fc) is nn.Linear


def test_unsupported_modes():

    class PerTensorOnly(TorchNativeQuantizer):

        @property
        def support_w_modes(self):
            return ('per_tensor', )

    with pytest.raises(ValueError, match='w_observer'):
        PerTensorOnly(global_qconfig=qconfig())


@pytest.mark.parametrize('update', [True, False])
def test_post_process_for_deploy_matches_fake_quant(update):
    quantizer = OpenVINOQuantizer(global_qconfig=qconfig())
    prepared = quantizer.prepare(Net())
    _calibrate(prepared)
    x = torch.randn(2, 3, 8, 8)
    with torch.no_grad():
        ref = prepared(x)
    quantizer.post_process_for_deploy(
        prepared, update_weight_with_fakequant=update, keep_w_fake_quant=True)
    assert isinstance(prepared.conv1, nniqat.ConvReLU2d)  # BN folded
    assert not hasattr(prepared.conv1, 'bn')
    with torch.no_grad():
        out = prepared(x)
    assert torch.allclose(out, ref, atol=1e-4)
    quantizer.post_process_for_deploy(prepared, keep_w_fake_quant=False)
    assert isinstance(prepared.conv1, nni.ConvReLU2d)
    assert type(prepared.fc) is nn.Linear
    with torch.no_grad():
        out = prepared(x)
    # float weights: equal to the fake-quant model only if they were baked
    assert torch.allclose(out, ref, atol=1e-4) == update


def _deploy(quantizer, model):
    prepared = quantizer.prepare(model)
    _calibrate(prepared)
    quantizer.post_process_for_deploy(
        prepared, update_weight_with_fakequant=True, keep_w_fake_quant=True)
    prepared.eval()
    return prepared


def test_tensorrt_export_qdq_runs_in_onnxruntime(tmp_path):
    import onnx
    import onnxruntime as ort
    quantizer = TensorRTQuantizer(
        global_qconfig=qconfig(a_dtype='qint8', a_sym=True))
    deploy = _deploy(quantizer, Net())
    x = torch.randn(2, 3, 8, 8)
    path = quantizer.export_onnx(deploy, x, str(tmp_path / 'trt.onnx'))
    model = onnx.load(path)
    ops = [n.op_type for n in model.graph.node]
    assert ops.count('QuantizeLinear') >= 3
    assert ops.count('DequantizeLinear') >= 3
    sess = ort.InferenceSession(path, providers=['CPUExecutionProvider'])
    out = sess.run(None, {'input': x.numpy()})[0]
    with torch.no_grad():
        ref = deploy(x).numpy()
    scale = np.abs(ref).max()
    assert np.abs(out - ref).max() <= 0.05 * scale + 1e-5


def test_tensorrt_rejects_asymmetric(tmp_path):
    quantizer = TensorRTQuantizer(global_qconfig=qconfig())
    deploy = _deploy(quantizer, Net())
    with pytest.raises(ValueError, match='symmetric'):
        quantizer.export_onnx(deploy, torch.randn(1, 3, 8, 8),
                              str(tmp_path / 'x.onnx'))


def test_openvino_export_fakequantize_nodes(tmp_path):
    import onnx
    quantizer = OpenVINOQuantizer(global_qconfig=qconfig())
    deploy = _deploy(quantizer, Net())
    path = quantizer.export_onnx(deploy, torch.randn(1, 3, 8, 8),
                                 str(tmp_path / 'ov.onnx'))
    assert osp.isfile(str(tmp_path / 'ov_symbolic.onnx'))
    model = onnx.load(path)
    fqs = [n for n in model.graph.node if n.op_type == 'FakeQuantize']
    assert fqs and all(n.domain == 'org.openvinotoolkit' for n in fqs)
    assert not any(
        n.op_type in ('QuantizeLinear', 'DequantizeLinear')
        for n in model.graph.node)
    levels = {a.i for n in fqs for a in n.attribute if a.name == 'levels'}
    assert levels <= {255, 256}
    inits = {i.name: i for i in model.graph.initializer}
    per_channel = [
        n for n in fqs if list(inits[n.input[1]].dims) == [8, 1, 1, 1]
    ]
    assert per_channel  # per-channel weight ranges broadcast on axis 0


def test_low_bit_export_is_refused(tmp_path):
    cfg = qconfig()
    cfg['a_qscheme'] = dict(qdtype='quint8', bit=4, is_symmetry=False)
    quantizer = OpenVINOQuantizer(global_qconfig=cfg)
    deploy = _deploy(quantizer, Net())
    with pytest.raises(ValueError, match='8-bit'):
        quantizer.export_onnx(deploy, torch.randn(1, 3, 8, 8),
                              str(tmp_path / 'x.onnx'))


def test_academic_quantizer_mixed_precision():
    cfg4 = qconfig()
    cfg4['w_qscheme'] = dict(qdtype='qint8', bit=4, is_symmetry=True)
    quantizer = AcademicQuantizer(
        qconfig_mapping=dict(
            _global_=qconfig(),
            object_type=[('torch.nn.Linear', None)],
            module_name=[('conv2', cfg4)]),
        prepare_custom_config=dict(preserved_attributes=['tag']))
    model = Net()
    model.tag = 'kept'
    prepared = quantizer.prepare(model)
    assert quantizer.backend == 'academic'
    assert type(prepared.fc) is nn.Linear
    assert prepared.conv2.weight_fake_quant.quant_max == 7
    assert prepared.conv1.weight_fake_quant.quant_max == 127
    assert prepared.tag == 'kept'
    with pytest.raises(KeyError, match='qconfig_mapping'):
        AcademicQuantizer(qconfig_mapping=dict(bad=1))


def test_convbnrelu_testing_model():
    quantizer = TorchNativeQuantizer(global_qconfig=qconfig())
    prepared = quantizer.prepare(ConvBNReLU(3, 4))
    assert isinstance(prepared.conv_module.conv, nniqat.ConvBnReLU2d)
    assert isinstance(
        prepared.get_submodule('toy_model.0'), nniqat.ConvBnReLU2d)
    fqs = [m for m in prepared.modules() if isinstance(m, FakeQuantize)]
    assert len(fqs) >= 4


def test_qdq_export_folds_relu_exactly(tmp_path):
    import onnx
    import onnxruntime as ort

    from mmrazor.models.quantizers.exporters import export_qdq_onnx
    quantizer = TorchNativeQuantizer(global_qconfig=qconfig())
    deploy = _deploy(quantizer, Net())
    x = torch.randn(3, 3, 8, 8)
    outs, relus = [], []
    for fold in (False, True):
        path = export_qdq_onnx(
            deploy, x, str(tmp_path / f'{fold}.onnx'), fold_relu=fold)
        relus.append(
            sum(n.op_type == 'Relu' for n in onnx.load(path).graph.node))
        sess = ort.InferenceSession(path, providers=['CPUExecutionProvider'])
        outs.append(sess.run(None, {'input': x.numpy()})[0])
    assert relus[1] < relus[0]
    np.testing.assert_array_equal(outs[0], outs[1])


def test_convert_batchnorm2d_and_training_mode():
    from mmrazor.models.quantizers import BaseQuantizer
    model = nn.Sequential(
        nn.Conv2d(3, 4, 1), nn.SyncBatchNorm(4),
        nn.Sequential(nn.SyncBatchNorm(4)))
    model[1].running_mean.fill_(0.5)
    BaseQuantizer.convert_batchnorm2d(model)
    assert type(model[1]) is nn.BatchNorm2d
    assert type(model[2][0]) is nn.BatchNorm2d
    assert torch.all(model[1].running_mean == 0.5)
    BaseQuantizer.sync_module_training_mode(model, False)
    assert not any(m.training for m in model.modules())


@pytest.mark.parametrize('w_bit,a_bit', [(4, 4), (16, 16), (8, 12)])
def test_prepare_any_bit_width(w_bit, a_bit):
    cfg = qconfig()
    cfg['w_qscheme'] = dict(qdtype='qint8', bit=w_bit)
    cfg['a_qscheme'] = dict(qdtype='quint8', bit=a_bit, is_symmetry=False)
    prepared = TorchNativeQuantizer(global_qconfig=cfg).prepare(
        ConvBNReLU(3, 4))
    fqs = [m for m in prepared.modules() if isinstance(m, FakeQuantize)]
    assert len(fqs) >= 4
    assert prepared.conv_module.conv.weight_fake_quant.quant_max == \
        2**(w_bit - 1) - 1
    assert prepared.activation_post_process_0.quant_max == 2**a_bit - 1
    assert prepared(torch.randn(1, 3, 6, 6)).shape == (1, 64)


def test_backend_redundant_fakequant_tables():
    from mmrazor.models.quantizers.native_quantizer import (
        DEPLOY_REDUNDANT_FAKEQUANTS, EXTRA_KEYS)
    native = TorchNativeQuantizer(global_qconfig=qconfig())
    assert all(getattr(native, k[len('extra_'):]) == () for k in EXTRA_KEYS)
    for cls in (OpenVINOQuantizer, TensorRTQuantizer):
        q = cls(global_qconfig=qconfig(a_dtype='qint8', a_sym=True))
        assert q.module_prev_wo_fakequant == (nn.ReLU6, nn.Identity)
        assert q.module_next_wo_fakequant == (nn.MaxPool2d, )
        assert q.function_next_wo_fakequant == (torch.flatten, )
        assert q.method_next_wo_fakequant == ('flatten', )
        assert q.op_prev_wo_fakequant == ('output', )
        assert q.op_next_wo_fakequant == ()
        assert q.support_w_modes == ('per_tensor', 'per_channel')
        assert q.support_a_modes == ('per_tensor', )
        assert set(DEPLOY_REDUNDANT_FAKEQUANTS) <= {
            k[len('extra_'):]
            for k in EXTRA_KEYS
        }
