# Copyright (c) OpenMMLab. All rights reserved.
import os
import os.path as osp

import pytest
import torch
import torch.nn as nn
from mmengine import Config, MessageHub

from mmrazor.models.utils import (add_prefix, get_module_device,
                                  make_divisible, parse_values,
                                  reinitialize_optim_wrapper_count_status,
                                  set_requires_grad, str2class)
from mmrazor.utils import (DumpChosen, IndexDict, RuntimeInfo,
                           find_latest_checkpoint, get_package_placeholder,
                           get_placeholder, print_log, setup_multi_processes)


def test_index_dict_sorted_and_no_overlap():
    d = IndexDict()
    d[(10, 20)] = 'b'
    d[(0, 10)] = 'a'
    d[(20, 21)] = 'c'
    assert list(d) == [(0, 10), (10, 20), (20, 21)]
    d[(0, 10)] = 'a2'  # same key may be reassigned
    assert d[(0, 10)] == 'a2'
    with pytest.raises(KeyError, match='overlaps'):
        d[(5, 15)] = 'x'
    with pytest.raises(TypeError):
        d['a'] = 1
    with pytest.raises(KeyError):
        d[(3, 1)] = 1


def test_runtime_info():
    hub = MessageHub.get_instance('test_runtime_info')
    hub.update_info('epoch', 2)
    hub.update_info('iter', 25)
    hub.update_info('max_epochs', 4)
    hub.update_info('max_iters', 40)
    hub.update_info('cfg', Config(dict(work_dir='/tmp/x')).pretty_text)
    assert RuntimeInfo.epoch() == 2
    assert RuntimeInfo.iter() == 25
    assert RuntimeInfo.iter_pre_epoch() == 10
    assert RuntimeInfo.iter_by_epoch() == 5
    assert RuntimeInfo.work_dir() == '/tmp/x'
    with pytest.raises(KeyError, match='nonexistent'):
        RuntimeInfo.get_info('nonexistent')


def test_placeholders_name_pip_package():
    Holder = get_placeholder('mmseg')
    with pytest.raises(ImportError, match='pip install mmsegmentation'):
        Holder()
    pkg = get_package_placeholder('sklearn')
    with pytest.raises(ImportError, match='pip install scikit-learn'):
        pkg.datasets
    with pytest.raises(ImportError, match='pip install mmdet'):
        get_package_placeholder('mmdet')()


def test_print_log(capsys):
    print_log('hello razor', logger=None)
    assert 'hello razor' in capsys.readouterr().out


def test_find_latest_checkpoint(tmp_path):
    assert find_latest_checkpoint(str(tmp_path / 'none')) is None
    assert find_latest_checkpoint(str(tmp_path)) is None
    for name in ['epoch_2.pth', 'epoch_10.pth', 'epoch_9.pth', 'x.pth']:
        (tmp_path / name).write_bytes(b'')
    assert osp.basename(find_latest_checkpoint(str(tmp_path))) == \
        'epoch_10.pth'
    (tmp_path / 'latest.pth').write_bytes(b'')
    assert osp.basename(find_latest_checkpoint(str(tmp_path))) == \
        'latest.pth'


def test_setup_multi_processes(monkeypatch):
    monkeypatch.delenv('OMP_NUM_THREADS', raising=False)
    monkeypatch.delenv('MKL_NUM_THREADS', raising=False)
    cfg = Config(dict(train_dataloader=dict(num_workers=2)))
    setup_multi_processes(cfg)
    assert os.environ['OMP_NUM_THREADS'] == '1'
    assert os.environ['MKL_NUM_THREADS'] == '1'


def test_make_divisible():
    assert make_divisible(30, 8) == 32
    assert make_divisible(20, 8) == 24
    assert make_divisible(3, 8) == 8
    assert make_divisible(3, 8, min_value=4) == 4
    assert make_divisible(100, 8, min_ratio=0.9) == 104
    # rounding down by more than 10 % adds one divisor
    assert make_divisible(10, 8) == 16
    with pytest.raises(ValueError):
        make_divisible(10, 0)


def test_add_prefix_and_parse_values():
    assert add_prefix({'a': 1, 'b': 2}, 'p') == {'p.a': 1, 'p.b': 2}
    assert parse_values([[16, 32, 8], [1, 2, 1]]) == [[16, 24, 32], [1, 2]]
    with pytest.raises(ValueError):
        parse_values([[1, 2]])


def test_set_requires_grad_and_device():
    net = nn.Sequential(nn.Linear(2, 2), nn.Linear(2, 1))
    set_requires_grad(net, False)
    assert not any(p.requires_grad for p in net.parameters())
    set_requires_grad([net], True)
    assert all(p.requires_grad for p in net.parameters())
    assert get_module_device(net) == torch.device('cpu')
    assert get_module_device(nn.ReLU()) == torch.device('cpu')


def test_str2class():
    assert str2class("<class 'torch.nn.modules.conv.Conv2d'>") is nn.Conv2d
    assert str2class('torch.nn.Linear') is nn.Linear
    assert str2class(nn.ReLU) is nn.ReLU
    with pytest.raises(AttributeError):
        str2class('torch.nn.NoSuchLayer')


def test_reinitialize_optim_wrapper_count_status():
    from mmengine.optim import OptimWrapper
    hub = MessageHub.get_instance('test_reinit')
    hub.update_info('max_iters', 10)
    hub.update_info('iter', 3)
    model = nn.Linear(2, 2)
    wrapper = OptimWrapper(torch.optim.SGD(model.parameters(), lr=0.1))
    wrapper.message_hub = hub
    reinitialize_optim_wrapper_count_status(model, wrapper, 4, False)
    assert wrapper._accumulative_counts == 4
    assert wrapper._inner_count == 12
    assert wrapper._max_counts == 40


def test_dump_chosen():
    d = DumpChosen(chosen='conv3x3', meta={'all_choices': ['a']})
    assert d.chosen == 'conv3x3' and d.meta['all_choices'] == ['a']
    assert DumpChosen(8).meta is None
