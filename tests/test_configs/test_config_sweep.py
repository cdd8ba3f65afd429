# Copyright (c) OpenMMLab. All rights reserved.
"""The config sweep: every config under ``configs/`` (except ``_base_`` and
deploy configs) parses and builds its model on the CPU with downloads
switched off; classifiers run one forward on a tiny input.

Weights that would be downloaded (``teacher_ckpt``, ``float_checkpoint``,
data-free ``ckpt_path``, ``init_cfg=dict(type='Pretrained')``,
``pretrained=...``) are switched off *here*, on a copy of the model config;
the configs keep them. Any download that is still attempted fails at once.
A config whose upstream package is not installed is skipped with the
package's name (``pytest -rs`` lists the reasons); the closing summary of
the run counts the configs built, skipped and failed.
"""
import copy
import glob
import importlib.util
import os.path as osp
import re

import pytest
import torch
from torch import nn

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))

#: Upstream packages a config may need that the pinned stack may lack.
OPTIONAL_PACKAGES = ('mmpose', 'mmdet3d', 'mmrotate', 'mmyolo', 'mmdeploy',
                     'mmdet', 'mmseg', 'mmpretrain', 'timm')


def is_deploy_config(path: str) -> bool:
    """Deploy configs (mmdeploy backend configs, ``*_deploy.py``) are not
    models to build."""
    rel = osp.relpath(path, osp.join(REPO, 'configs'))
    return 'deploy_cfgs' in rel.split(osp.sep) or \
        osp.basename(path).endswith('_deploy.py')


def collect_configs():
    """Every config of the sweep, relative to ``configs/``."""
    paths = glob.glob(osp.join(REPO, 'configs', '**', '*.py'), recursive=True)
    configs = []
    for path in sorted(paths):
        rel = osp.relpath(path, osp.join(REPO, 'configs'))
        if '_base_' in rel.split(osp.sep) or is_deploy_config(path) or \
                path.endswith('_template.py'):
            # ``*_template.py`` (Group Fisher) are filled in by the user
            continue
        configs.append(rel)
    return configs


CONFIGS = collect_configs()


def switch_off_weights(cfg):
    """A copy of ``cfg`` (a model config) that downloads nothing."""
    cfg = copy.deepcopy(cfg)

    def walk(node):
        if isinstance(node, dict):
            for key in ('teacher_ckpt', 'float_checkpoint', 'ckpt_path'):
                if key in node:
                    node[key] = None
            if 'cfg_path' in node and node.get('pretrained'):
                node['pretrained'] = False
            elif isinstance(node.get('pretrained'), str):
                node['pretrained'] = None
            init_cfg = node.get('init_cfg')
            if isinstance(init_cfg, dict) and \
                    init_cfg.get('type') == 'Pretrained':
                node.pop('init_cfg')
            elif isinstance(init_cfg, list):
                node['init_cfg'] = [
                    c for c in init_cfg if not (
                        isinstance(c, dict) and c.get('type') == 'Pretrained')
                ]
            for value in node.values():
                walk(value)
        elif isinstance(node, (list, tuple)):
            for value in node:
                walk(value)

    walk(cfg)
    return cfg


def missing_package(error: BaseException):
    """The uninstalled upstream package an error names, if any."""
    text = str(error)
    for package in OPTIONAL_PACKAGES:
        if re.search(rf'\b{package}\b', text) and \
                importlib.util.find_spec(package) is None:
            return package
    return None


@pytest.fixture(autouse=True)
def no_downloads(monkeypatch):
    """Any download the sweep missed fails at once, naming the URL."""

    def refuse(url, *args, **kwargs):
        raise RuntimeError(f'the config sweep must not download {url}')

    monkeypatch.setattr(torch.hub, 'download_url_to_file', refuse)


def first_conv(module: nn.Module):
    for m in module.modules():
        if isinstance(m, nn.Conv2d):
            return m
    return None


def classifier_of(model: nn.Module):
    """The mmpretrain classifier a model is or wraps, else None."""
    from mmpretrain.models.classifiers import BaseClassifier
    for candidate in (model, getattr(model, 'architecture',
                                     None), getattr(model, 'student', None)):
        if isinstance(candidate, BaseClassifier):
            return candidate
    return None


# configs that cannot build on their own, each with the reason it is
# reported as skipped (none at present)
KNOWN_UNBUILDABLE: dict = {}


def tiny_forward(model: nn.Module, classifier: nn.Module, rel: str):
    """One forward of ``model`` in tensor mode on a 2-image batch."""
    conv = first_conv(classifier)
    channels = conv.in_channels if conv is not None else 3
    size = 16 if 'digits' in rel else 32
    # backbones with a fixed input size (ViT patch embeddings)
    backbone = getattr(classifier, 'backbone', None)
    fixed = getattr(backbone, 'img_size', None) or getattr(
        getattr(backbone, 'patch_embed', None), 'img_size', None)
    if isinstance(fixed, (tuple, list)):
        fixed = fixed[0]
    if isinstance(fixed, int):
        size = fixed
    inputs = torch.randn(2, channels, size, size)
    model.eval()
    with torch.no_grad():
        out = model(inputs, None, mode='tensor')
    tensors = [out] if isinstance(out, torch.Tensor) else [
        t for t in (out if isinstance(out, (list, tuple)) else out.values())
        if isinstance(t, torch.Tensor)
    ]
    assert tensors, f'{rel}: the tensor forward returned {type(out)}'
    for t in tensors:
        assert t.shape[0] == 2, (rel, t.shape)
        assert torch.isfinite(t).all(), rel
    head = getattr(classifier, 'head', None)
    num_classes = getattr(head, 'num_classes', None)
    if num_classes and tensors[-1].dim() == 2:
        assert tensors[-1].shape[1] == num_classes, (rel, tensors[-1].shape)


def prepare_model_cfg(cfg, rel):
    """The model config of ``cfg`` to build in the sweep."""
    model_cfg = switch_off_weights(cfg.model)
    if 'quantizer' in model_cfg:
        # one traced graph is enough to prove the config builds
        model_cfg['forward_modes'] = ('tensor', )
        channels = 1 if 'digits' in rel else 3
        size = 16 if 'digits' in rel else 32
        model_cfg.setdefault('input_shapes', (1, channels, size, size))
    return model_cfg


def stand_in_subnet(model_cfg, rel, tmp_dir):
    """A ``sub_model`` whose subnet file a search run writes (e.g.
    ``work_dirs/<search>/best_fix_subnet.yaml``) gets a randomly sampled
    subnet of its supernet instead, in ``tmp_dir``."""
    fix_subnet = model_cfg.get('fix_subnet')
    if not str(model_cfg.get('type', '')).endswith('sub_model') or \
            not isinstance(fix_subnet, str) or \
            osp.isfile(fix_subnet) or osp.isfile(osp.join(REPO, fix_subnet)):
        return model_cfg
    assert fix_subnet.startswith('work_dirs'), \
        f'{rel}: the subnet file {fix_subnet} does not exist'
    import yaml

    from mmrazor.models.mutators import NasMutator
    from mmrazor.registry import MODELS
    from mmrazor.structures.subnet.fix_subnet import (convert_fix_subnet,
                                                      export_fix_subnet)
    supernet = MODELS.build(model_cfg['cfg'])
    mutator = NasMutator()
    mutator.prepare_from_supernet(supernet)
    mutator.set_choices(mutator.sample_choices())
    subnet, _ = export_fix_subnet(supernet)
    path = osp.join(str(tmp_dir), 'stand_in_subnet.yaml')
    with open(path, 'w') as f:
        yaml.safe_dump(convert_fix_subnet(subnet), f)
    model_cfg['fix_subnet'] = path
    return model_cfg


def test_sweep_finds_the_config_tree():
    assert len(CONFIGS) >= 60, CONFIGS
    assert not any(c.startswith('_base_') for c in CONFIGS)
    assert not any(is_deploy_config(c) for c in CONFIGS)
    assert 'vanilla/mmcls/digits/resnet18-w16_1xb32_digits.py' in CONFIGS


@pytest.mark.slow
@pytest.mark.parametrize('rel', CONFIGS)
def test_config_builds(rel, tmp_path, request):
    from mmengine.config import Config
    from mmengine.registry import DefaultScope

    import mmrazor  # noqa: F401
    from mmrazor.registry import MODELS

    torch.manual_seed(0)
    try:
        cfg = Config.fromfile(osp.join(REPO, 'configs', rel))
    except (ImportError, FileNotFoundError) as error:
        package = missing_package(error)
        if package is None:
            raise
        pytest.skip(f'needs {package} (not installed): {error}')
    if 'model' not in cfg:
        # a partial config (e.g. a dataset for CRD) inherited by others
        assert any(k.endswith('dataloader') for k in cfg), \
            f'{rel} has neither a model nor a dataloader'
        request.node.user_properties.append(('sweep', 'parsed'))
        return
    if rel in KNOWN_UNBUILDABLE:
        pytest.skip(KNOWN_UNBUILDABLE[rel])
    model_cfg = prepare_model_cfg(cfg, rel)
    with DefaultScope.overwrite_default_scope(cfg.get('default_scope')):
        try:
            model_cfg = stand_in_subnet(model_cfg, rel, tmp_path)
            model = MODELS.build(model_cfg)
        except FileNotFoundError as error:
            # a deploy / retrain stage reads what the previous stage of its
            # chain writes (fix_subnet.json, slimmable_config.json)
            if 'work_dirs' not in str(error):
                raise
            pytest.skip(f'needs the output of the previous stage: {error}')
        except ImportError as error:
            package = missing_package(error)
            if package is None:
                raise
            pytest.skip(f'needs {package} (not installed): {error}')
        assert isinstance(model, nn.Module), type(model)
        assert sum(p.numel() for p in model.parameters()) > 0
        classifier = classifier_of(model)
        if classifier is not None:
            tiny_forward(model, classifier, rel)
