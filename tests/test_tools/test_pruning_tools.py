# Copyright (c) OpenMMLab. All rights reserved.
import json
import os.path as osp
import sys

import pytest
import torch

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
sys.path.insert(0, osp.join(REPO, 'tools', 'pruning'))
L1 = osp.join(REPO, 'configs/pruning/mmcls/l1-norm')
VANILLA = osp.join(
    REPO, 'configs/vanilla/mmcls/digits/resnet18-w16_1xb32_digits.py')


def test_get_channel_units_and_flops(tmp_path, capsys):
    import get_channel_units
    import get_flops
    out = str(tmp_path / 'units.json')
    get_channel_units.main([
        VANILLA, '--choice', '--input-shape', '1', '1', '16', '16', '-o', out
    ])
    with open(out) as f:
        choice = json.load(f)
    assert choice['backbone.layer1.0.conv1_(0, 16)_16'] == 1.0
    assert len(choice) == 12
    # the grad_fn-walking tracer finds the same units
    by_backward = get_channel_units.main([
        VANILLA, '--choice', '--input-shape', '1', '1', '16', '16', '--tracer',
        'BackwardTracer'
    ])
    assert by_backward == choice
    full = get_channel_units.main(
        [VANILLA, '-c', '-i', '--input-shape', '1', '1', '16', '16'])
    unit = full['channel_unit_cfg']['units'][
        'backbone.layer1.0.conv1_(0, 16)_16']
    assert unit['init_args']['num_channels'] == 16
    assert unit['channels']['output_related'][0]['name'] == \
        'backbone.layer1.0.conv1'
    res = get_flops.main([VANILLA, '-H', '16', '-W', '16', '-C', '1'])
    assert 8.0 < res['flops'] < 9.5
    assert 'FLOPs' in capsys.readouterr().out
    from mmrazor.utils.cli import ToolError
    with pytest.raises(ToolError, match='missing.py'):
        get_flops.main([str(tmp_path / 'missing.py')])


def test_l1_prune_config_and_static_export(tmp_path):
    import get_l1_prune_config
    import get_static_model_from_algorithm
    from _common import build_model
    from mmengine.config import Config
    subnet = str(tmp_path / 'target.json')
    with open(subnet, 'w') as f:
        json.dump(
            {
                'backbone.layer1.0.conv1_(0, 16)_16': 0.5,
                'backbone.layer4.1.conv1_(0, 128)_128': 0.25
            }, f)
    out = str(tmp_path / 'prune.py')
    get_l1_prune_config.main([
        VANILLA, '--subnet', subnet, '-o', out, '--input-shape', '1', '1',
        '16', '16'
    ])
    cfg = Config.fromfile(out)
    assert cfg.model.type == 'ItePruneAlgorithm'
    assert cfg.model.target_pruning_ratio[
        'backbone.layer1.0.conv1_(0, 16)_16'] == 0.5
    algo = build_model(cfg)
    algo.mutator.set_choices(cfg.model.target_pruning_ratio)
    ckpt = str(tmp_path / 'algo.pth')
    torch.save({'state_dict': algo.state_dict(), 'meta': {}}, ckpt)
    pth, js, arch = get_static_model_from_algorithm.main(
        [out, ckpt, '-o', str(tmp_path / 'static')])
    with open(js) as f:
        assert json.load(f)['backbone.layer4.1.conv1_(0, 128)_128'] == 0.25
    state = torch.load(pth, map_location='cpu')['state_dict']
    assert state['backbone.layer4.1.conv1.weight'].shape[0] == 32
    algo.eval()
    x = torch.rand(2, 1, 16, 16)
    with torch.no_grad():
        assert torch.allclose(
            arch(x, mode='tensor'), algo(x, mode='tensor'), atol=1e-5)


@pytest.mark.slow
def test_l1_norm_configs_build_on_cpu(tmp_path):
    from _common import build_model, load_config
    from mmengine.config import Config

    from mmrazor.engine.runner.ite_prune_val_loop import save_pruned_subnet
    small = dict(
        type='DefaultDemoInput', scope='mmcls', input_shape=(1, 3, 32, 32))
    cfg = load_config(osp.join(L1, 'l1-norm_resnet34_8xb32_in1k_a.py'))
    cfg.model.mutator_cfg.parse_cfg.demo_input = small
    algo = build_model(cfg)
    assert type(algo).__name__ == 'ItePruneAlgorithm'
    units = set(algo.mutator.choice_template)
    for v in 'bc':
        other = Config.fromfile(
            osp.join(L1, f'l1-norm_resnet34_8xb32_in1k_{v}.py'))
        assert set(other.target_pruning_ratio) <= units
    assert set(cfg.target_pruning_ratio) <= units
    algo.mutator.set_choices(cfg.target_pruning_ratio)
    save_pruned_subnet(algo, str(tmp_path))
    dep = load_config(osp.join(L1, 'l1-norm_resnet34_8xb32_in1k_a_deploy.py'))
    dep.model.fix_subnet = str(tmp_path / 'fix_subnet.json')
    dep.model.init_cfg.checkpoint = str(tmp_path / 'fix_subnet_weight.pth')
    static = build_model(dep).eval()
    algo.eval()
    x = torch.rand(1, 3, 32, 32)
    with torch.no_grad():
        assert torch.allclose(
            static(x, mode='tensor'), algo(x, mode='tensor'), atol=1e-4)
    conv = static.backbone.layer1[0].conv1
    assert conv.out_channels == 32
    digits = load_config(osp.join(L1, 'l1-norm_resnet18-w16_1xb32_digits.py'))
    assert digits.val_cfg.type == 'mmrazor.ItePruneValLoop'
