# Copyright (c) OpenMMLab. All rights reserved.
"""Where the library falls back, the user learns why."""
import warnings

import pytest
import torch
import torch.nn as nn


class DataDependent(nn.Module):
    """Runs for real, but not on fake tensors (``nonzero`` has a data-
    dependent output shape)."""

    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(3, 8, 3, padding=1)
        self.bn = nn.BatchNorm2d(8)
        self.conv2 = nn.Conv2d(8, 4, 1)

    def forward(self, x):
        x = self.bn(self.conv1(x))
        x = x + torch.nonzero(x).sum() * 0
        return self.conv2(x)


class DataDependentFullSize(DataDependent):
    """Also needs the full 128x128 input (a flatten into Linear), so the
    quick run at a quarter of the resolution fails too."""

    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(4 * 128 * 128, 2)

    def forward(self, x):
        return self.fc(super().forward(x).flatten(1))


def test_channel_analyzer_reports_shape_recording_fallback():
    from mmrazor.models.task_modules import ChannelAnalyzer
    # the torch.fx path: symbolic trace, then shape recording runs
    analyzer = ChannelAnalyzer(
        demo_input=dict(
            type='DefaultDemoInput', input_shape=(1, 3, 128, 128)),
        tracer_type='FxTracer',
        symbolic_trace=True)
    analyzer.analyze(DataDependentFullSize())
    notes = ' '.join(analyzer.report.notes)
    assert 'shape recording at the reduced input' in notes
    assert 'shape recording on fake tensors failed' in notes
    assert 'recorded with a real forward' in notes
    assert 'shape recording on fake tensors failed' in \
        analyzer.report.format()
    # the default eager trace records while it runs (no fake tensors)
    analyzer = ChannelAnalyzer(
        demo_input=dict(
            type='DefaultDemoInput', input_shape=(1, 3, 128, 128)))
    units = analyzer.analyze(DataDependentFullSize())
    notes = ' '.join(analyzer.report.notes)
    assert 'shape recording at the reduced input' in notes
    assert 'recorded at the full input size' in notes
    assert 'conv2_(0, 4)_4' in units


def test_dynamic_norm_counter_warns_when_the_mask_fails():
    from mmrazor.models.architectures.dynamic_ops import DynamicBatchNorm2d
    from mmrazor.models.architectures.dynamic_ops.dynamic_counters import \
        DynamicNormCounter

    bn = DynamicBatchNorm2d(8)

    def broken_mask(*args):
        raise KeyError('num_features has no mutable')

    bn.get_mask = broken_mask
    bn.__flops__ = 0
    with pytest.warns(UserWarning) as record:
        DynamicNormCounter.add_count_hook(bn, (torch.ones(1, 8, 2, 2), ),
                                          torch.ones(1, 8, 2, 2))
    msg = str(record[0].message)
    assert 'dynamic_counters' in msg and 'DynamicBatchNorm2d' in msg
    assert 'num_features has no mutable' in msg
    assert 'counted unpruned' in msg
    assert bn.__params__ == 16


class BranchyHead(nn.Module):

    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(4, 3)

    def forward(self, x):
        if x.sum() > 0:  # data-dependent control flow: untraceable
            return self.fc(x)
        return -self.fc(x)

    def predict(self, x, samples):
        return [(s, p) for s, p in zip(samples, self(x))]


class BranchyModel(nn.Module):

    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(1, 4, 3, padding=1)
        self.head = BranchyHead()

    def forward(self, x, samples=None, mode='tensor'):
        x = self.conv(x).mean((2, 3))
        if mode == 'tensor':
            return x
        return self.head.predict(x, samples)


def test_custom_tracer_warns_about_dropped_forward():
    from mmrazor.models.task_modules.tracer import (CustomTracer,
                                                    custom_symbolic_trace)
    model = BranchyModel().eval()
    tracer = CustomTracer(skipped_methods=[f'{__name__}.BranchyHead.predict'])
    with pytest.warns(UserWarning) as record:
        gm = custom_symbolic_trace(model, {'mode': 'predict'}, tracer)
    texts = [str(r.message) for r in record]
    hits = [t for t in texts if 'could not be traced' in t]
    assert hits, texts
    assert 'custom_tracer' in hits[0] and 'BranchyHead' in hits[0]
    assert 'BranchyHead.predict' in hits[0]
    assert 'runs eagerly' in hits[0]
    # the fallback still computes the right result
    x = torch.randn(2, 1, 5, 5)
    out = gm(x, ['a', 'b'], 'predict')
    ref = model(x, ['a', 'b'], 'predict')
    assert all(torch.allclose(p, r) for (_, p), (_, r) in zip(out, ref))


def test_onnx_shape_inference_failure_is_reported():
    import onnx
    from onnx import TensorProto, helper

    from mmrazor.models.quantizers.exporters.optim_utils import ONNXOptimUtils

    # an Add of incompatible static shapes: strict shape inference fails
    a = helper.make_tensor_value_info('a', TensorProto.FLOAT, [2, 3])
    b = helper.make_tensor_value_info('b', TensorProto.FLOAT, [4, 5])
    out = helper.make_tensor_value_info('c', TensorProto.FLOAT, None)
    graph = helper.make_graph([helper.make_node('Add', ['a', 'b'], ['c'])],
                              'g', [a, b], [out])
    model = helper.make_model(
        graph, opset_imports=[helper.make_opsetid('', 13)])
    with pytest.warns(UserWarning) as record:
        count = ONNXOptimUtils.shrink_single_pixel_convs(model)
    assert count == 0
    msg = str(record[0].message)
    assert 'optim_utils' in msg and 'shape inference failed' in msg
    assert isinstance(model, onnx.ModelProto)


def test_onnx_export_passes_user_warnings_on(tmp_path):
    from mmrazor.models.quantizers.exporters.base_quantize_exporter import \
        export_qdq_onnx

    class Noisy(nn.Module):

        def __init__(self):
            super().__init__()
            self.fc = nn.Linear(4, 2)

        def forward(self, x):
            warnings.warn('Noisy: this op is exported approximately')
            return self.fc(x)

    with pytest.warns(UserWarning) as record:
        export_qdq_onnx(Noisy(), torch.randn(1, 4), str(tmp_path / 'n.onnx'))
    texts = [str(r.message) for r in record]
    hits = [t for t in texts if 'exported approximately' in t]
    assert hits, texts
    assert 'base_quantize_exporter' in hits[0] and 'Noisy' in hits[0]
    assert (tmp_path / 'n.onnx').is_file()


def test_unknown_type_mentions_modules_that_failed_to_import(monkeypatch):
    from mmrazor.registry import MODELS, build_errors

    def broken_import(self=None):
        raise ImportError('No module named broken_optional_dep')

    registries = list(build_errors._registries_named('model'))
    for reg in registries:
        monkeypatch.setattr(reg, 'import_from_location', broken_import)
    msg = build_errors.explain_unknown_type('NoSuchAlgo', 'mmrazor', 'model')
    assert 'could not be imported' in msg
    assert 'broken_optional_dep' in msg
    assert MODELS is not None


def test_quant_dummy_forward_failure_is_a_warning():
    from mmrazor.registry import MODELS
    from mmrazor.testing import TOY_SKIPPED_METHODS, toy_global_qconfig
    cfg = dict(
        type='mmrazor.MMArchitectureQuant',
        architecture=dict(type='mmrazor.ToyQuantClassifier'),
        input_shapes=(1, 5, 8, 8),  # the toy model takes 1 channel
        quantizer=dict(
            type='mmrazor.OpenVINOQuantizer',
            global_qconfig=toy_global_qconfig(False),
            tracer=dict(
                type='mmrazor.CustomTracer',
                skipped_methods=TOY_SKIPPED_METHODS)))
    with pytest.warns(UserWarning, match='input_shapes=.1, 5, 8, 8. failed'):
        MODELS.build(cfg)
