# Copyright (c) OpenMMLab. All rights reserved.
"""Coverage of the automatic channel analysis over common models.

For every model: analysis time, prunable units, prunable channel share,
unsupported ops (listed), and whether a 50 % pruning forwards and exports
to a static model with the same outputs. Last line:
``models=<n> analysed=<n> pruned_and_exported=<n> supported=<n>``; the exit
code is non-zero if any model raised.

    python benchmarks/channel_analysis_coverage.py [--only resnet18,...]
"""
import argparse
import copy
import sys
import time
import traceback
from typing import Callable

import torch


def load_upstream_config(cfg_path):
    """``Config.fromfile`` for a ``pkg::path`` config (via a stub file)."""
    import os
    import tempfile

    from mmengine.config import Config
    with tempfile.TemporaryDirectory() as d:
        stub = os.path.join(d, 'stub.py')
        with open(stub, 'w') as f:
            f.write(f'_base_ = [{cfg_path!r}]\n')
        return Config.fromfile(stub)


def tv(name, **kw):

    def build():
        import torchvision
        return getattr(torchvision.models, name)(**kw), (1, 3, 224, 224)

    return build


def mm(cfg_path, shape, scope):

    def build():
        from mmengine.registry import DefaultScope

        from mmrazor.registry import MODELS
        from mmrazor.utils import register_all_modules
        register_all_modules(False)
        cfg = load_upstream_config(cfg_path)
        model_cfg = cfg.model
        if 'backbone' in model_cfg and 'init_cfg' in model_cfg.backbone:
            model_cfg.backbone.init_cfg = None
        if 'pretrained' in model_cfg:
            model_cfg.pretrained = None
        with DefaultScope.overwrite_default_scope(scope):
            return MODELS.build(model_cfg), shape

    return build


MODELS_TO_TEST = {
    'tv.resnet18':
    tv('resnet18'),
    'tv.resnet50':
    tv('resnet50'),
    'tv.mobilenet_v2':
    tv('mobilenet_v2'),
    'tv.mobilenet_v3_large':
    tv('mobilenet_v3_large'),
    'tv.shufflenet_v2':
    tv('shufflenet_v2_x1_0'),
    'tv.regnet_y_400mf':
    tv('regnet_y_400mf'),
    'tv.efficientnet_b0':
    tv('efficientnet_b0'),
    'tv.densenet121':
    tv('densenet121'),
    'tv.convnext_tiny':
    tv('convnext_tiny'),
    'tv.vit_b_16':
    tv('vit_b_16'),
    'mmpretrain.ResNet-50':
    mm('mmcls::resnet/resnet50_8xb32_in1k.py', (1, 3, 224, 224), 'mmcls'),
    'mmpretrain.MobileNetV2':
    mm('mmcls::mobilenet_v2/mobilenet-v2_8xb32_in1k.py', (1, 3, 224, 224),
       'mmcls'),
    'mmdet.RetinaNet-R50':
    mm('mmdet::retinanet/retinanet_r50_fpn_1x_coco.py', (1, 3, 320, 320),
       'mmdet'),
    'mmdet.FasterRCNN-R50':
    mm('mmdet::faster_rcnn/faster-rcnn_r50_fpn_1x_coco.py', (1, 3, 320, 320),
       'mmdet'),
    'mmseg.PSPNet-R50':
    mm('mmseg::pspnet/pspnet_r50-d8_4xb2-40k_cityscapes-512x1024.py',
       (1, 3, 256, 256), 'mmseg'),
}


def _flat(out):
    if isinstance(out, torch.Tensor):
        return [out]
    if isinstance(out, (list, tuple)):
        return [t for o in out for t in _flat(o)]
    if isinstance(out, dict):
        return [t for o in out.values() for t in _flat(o)]
    return []


def run_one(name, build):
    from mmrazor.models.mutators import ChannelMutator
    from mmrazor.models.task_modules.demo_inputs import DefaultDemoInput
    from mmrazor.models.task_modules.tracer.channel_analyzer import _wrap
    from mmrazor.structures.subnet.fix_subnet import _dynamic_to_static
    model, shape = build()
    model.eval()
    scope = None
    demo = dict(type='DefaultDemoInput', input_shape=shape)
    start = time.perf_counter()
    mutator = ChannelMutator(
        channel_unit_cfg=dict(
            type='L1MutableChannelUnit',
            default_args=dict(choice_mode='ratio')),
        parse_cfg=dict(type='ChannelAnalyzer', demo_input=demo))
    mutator.prepare_from_supernet(model)
    t = time.perf_counter() - start
    report = mutator.analysis_report
    row = dict(
        model=name,
        time=t,
        units=len(mutator.units),
        share=report.prunable_share,
        unsupported=len(report.unsupported) + len(report.dropped),
        supported=report.all_supported,
        exported=False,
        details=report.unsupported[:3] + report.dropped[:2])
    torch.manual_seed(0)
    mutator.set_choices({n: 0.5 for n in mutator.choice_template})
    data = DefaultDemoInput(shape, scope=scope).get_data(model)
    wrapper, inputs, _ = _wrap(model, data)
    with torch.no_grad():
        dyn = _flat(wrapper(inputs))
        static = copy.deepcopy(model)
        _dynamic_to_static(static)
        swrap, _, _ = _wrap(static, data)
        out = _flat(swrap(inputs))
    row['exported'] = len(dyn) == len(out) and all(
        a.shape == b.shape and torch.allclose(a, b, atol=1e-3, rtol=1e-3)
        for a, b in zip(dyn, out))
    return row


def select_models(only: str) -> list:
    """Names of MODELS_TO_TEST matching any comma-separated part of
    ``only`` (all when empty), with the registries ready."""
    from mmrazor.utils import register_all_modules
    register_all_modules(False)
    return [
        n for n in MODELS_TO_TEST
        if not only or any(o in n for o in only.split(','))
    ]


def run_table(names: list, run: Callable[[str], dict],
              format_row: Callable[[str, dict], str]) -> tuple:
    """Run ``run(name)`` for every model and print one table row each;
    a model that raises is printed as an error row.

    Returns:
        tuple: The result dicts and the names of the models that raised.
    """
    rows, failed = [], []
    for name in names:
        try:
            r = run(name)
        except Exception as e:  # noqa: BLE001
            traceback.print_exc()
            failed.append(name)
            print(f'| {name} | ERROR {type(e).__name__}: {e} |')
            continue
        rows.append(r)
        print(format_row(name, r), flush=True)
    return rows, failed


def _coverage_row(name: str, r: dict) -> str:
    row = (f"| {name} | {r['time']:.2f} | {r['units']} | "
           f"{100 * r['share']:.1f} | {r['unsupported']} | "
           f"{'yes' if r['supported'] else 'no'} | "
           f"{'yes' if r['exported'] else 'NO'} |")
    return '\n'.join([row] + [f'|   | {d} |' for d in r['details']])


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument('--only', default='')
    args = parser.parse_args()
    names = select_models(args.only)
    print('| model | analysis s | units | prunable % | unsupported | '
          'supported | 50 % prune+export |')
    print('|---|---:|---:|---:|---:|---|---|')
    rows, failed = run_table(names,
                             lambda name: run_one(name, MODELS_TO_TEST[name]),
                             _coverage_row)
    exported = sum(r['exported'] for r in rows)
    supported = sum(r['supported'] for r in rows)
    print(f'models={len(names)} analysed={len(rows)} '
          f'pruned_and_exported={exported} supported={supported}')
    bad = [r['model'] for r in rows if r['supported'] and not r['exported']]
    if failed or bad:
        sys.exit(1)


if __name__ == '__main__':
    main()
