# Copyright (c) OpenMMLab. All rights reserved.
"""Bad input to the command-line tools: exit code 2, one message naming the
offending file/key and what was expected, no partial output."""
import os.path as osp

import pytest
import torch
from bad_input_helpers import KD, L1, PTQ, SPOS, VANILLA, written


def _cfg(tmp_path, body, base=VANILLA, name='bad.py'):
    path = tmp_path / name
    path.write_text(f'_base_ = [{base!r}]\n' + body)
    return str(path)


def _truncated_checkpoint(tmp_path, name='truncated.pth'):
    whole = tmp_path / ('whole_' + name)
    torch.save({'state_dict': {'w': torch.zeros(64, 64)}, 'meta': {}}, whole)
    data = whole.read_bytes()
    path = tmp_path / name
    path.write_bytes(data[:len(data) // 2])
    return str(path)


# --- tools/train.py ------------------------------------------------------


def test_train_missing_config(tool, tmp_path):
    err = tool('train.py', tmp_path / 'nope.py')
    assert 'nope.py' in err and 'does not exist' in err


@pytest.mark.skipif(
    torch.cuda.is_available(), reason='--amp is valid on a CUDA machine')
def test_train_amp_without_a_device(tool, tmp_path):
    err = tool('train.py', VANILLA, '--amp', '--work-dir', tmp_path / 'wd')
    assert '--amp' in err and 'CUDA' in err and 'drop --amp' in err
    assert written(tmp_path / 'wd') == []


def test_train_config_syntax_error(tool, tmp_path):
    bad = tmp_path / 'broken.py'
    bad.write_text('model = dict(type="X",\n')
    err = tool('train.py', bad, '--work-dir', tmp_path / 'wd')
    assert 'broken.py' in err and 'cannot parse config' in err
    assert written(tmp_path / 'wd') == []


def test_train_missing_base(tool, tmp_path):
    bad = tmp_path / 'child.py'
    bad.write_text("_base_ = ['./nowhere.py']\n")
    err = tool('train.py', bad)
    assert 'nowhere.py' in err


def test_train_unknown_model_type(tool, tmp_path):
    cfg = _cfg(tmp_path, "model = dict(type='mmrazor.SingleTeacherDistil')\n")
    err = tool('train.py', cfg, '--work-dir', tmp_path / 'wd')
    assert "'mmrazor.SingleTeacherDistil'" in err
    assert 'SingleTeacherDistill' in err  # the close match
    assert written(tmp_path / 'wd') == []


def test_train_cfg_options_typo(tool, tmp_path):
    err = tool('train.py', VANILLA, '--work-dir', tmp_path / 'wd',
               '--cfg-options', 'train_cfg.max_epoch=1')
    assert 'max_epoch' in err and 'EpochBasedTrainLoop' in err
    assert written(tmp_path / 'wd') == []


def test_train_cfg_options_without_value(tool, tmp_path):
    err = tool('train.py', VANILLA, '--cfg-options', 'train_cfg.max_epochs')
    assert 'train_cfg.max_epochs' in err


def test_train_unwritable_work_dir(tool, tmp_path):
    blocker = tmp_path / 'a_file'
    blocker.write_text('not a directory')
    err = tool('train.py', VANILLA, '--work-dir', blocker / 'wd')
    assert str(blocker / 'wd') in err and 'work dir' in err


def test_train_amp_with_unsupported_wrapper(tool, tmp_path):
    cfg = _cfg(
        tmp_path,
        "optim_wrapper = dict(type='ApexOptimWrapper', _delete_=True,"
        " optimizer=dict(type='SGD', lr=0.1))\n")
    err = tool('train.py', cfg, '--amp', '--work-dir', tmp_path / 'wd')
    assert '--amp' in err and 'ApexOptimWrapper' in err


def test_train_auto_scale_lr_without_config(tool, tmp_path):
    cfg = _cfg(tmp_path, 'auto_scale_lr = None\n')
    err = tool('train.py', cfg, '--auto-scale-lr', '--work-dir',
               tmp_path / 'wd')
    assert 'auto_scale_lr' in err


def test_train_kd_unknown_loss_argument(tool, tmp_path):
    cfg = _cfg(
        tmp_path, 'model = dict(teacher_ckpt=None, distiller=dict('
        "distill_losses=dict(loss_kl=dict(type='KLDivergence', tua=1.0))))\n",
        base=KD)
    err = tool('train.py', cfg, '--work-dir', tmp_path / 'wd')
    assert 'KLDivergence' in err and "'tua'" in err
    assert written(tmp_path / 'wd') == []


def test_train_kd_missing_teacher_checkpoint(tool, tmp_path):
    cfg = _cfg(
        tmp_path,
        f"model = dict(teacher_ckpt={str(tmp_path / 'teacher.pth')!r})\n",
        base=KD)
    err = tool('train.py', cfg, '--work-dir', tmp_path / 'wd')
    assert 'teacher.pth' in err
    assert written(tmp_path / 'wd') == []


def test_train_kd_unknown_recorder_source(tool, tmp_path):
    cfg = _cfg(
        tmp_path, 'model = dict(teacher_ckpt=None, distiller=dict('
        "student_recorders=dict(fc=dict(type='ModuleOutputs', "
        "source='head.fcc'))))\n",
        base=KD)
    err = tool('train.py', cfg, '--work-dir', tmp_path / 'wd')
    assert 'head.fcc' in err


def test_train_nas_unknown_mutator(tool, tmp_path):
    cfg = _cfg(
        tmp_path,
        "model = dict(mutator=dict(type='mmrazor.NasMutatr'))\n",
        base=SPOS)
    err = tool('train.py', cfg, '--work-dir', tmp_path / 'wd')
    assert 'NasMutatr' in err and 'NasMutator' in err


def test_train_pruning_negative_ratio(tool, tmp_path):
    cfg = _cfg(
        tmp_path, 'model = dict(architecture=dict(init_cfg=None), '
        "target_pruning_ratio={'backbone.conv1_(0, 16)_16': -0.5})\n",
        base=L1)
    err = tool('train.py', cfg, '--work-dir', tmp_path / 'wd')
    assert '-0.5' in err and 'backbone.conv1_(0, 16)_16' in err
    assert written(tmp_path / 'wd') == []


def test_train_quantization_unknown_quantizer(tool, tmp_path):
    cfg = _cfg(
        tmp_path,
        "model = dict(quantizer=dict(type='mmrazor.OpenVinoQuantizer'))\n",
        base=PTQ)
    err = tool('ptq.py', cfg, '--work-dir', tmp_path / 'wd')
    assert 'OpenVinoQuantizer' in err and 'OpenVINOQuantizer' in err


# --- tools/test.py -------------------------------------------------------


def test_test_missing_checkpoint(tool, tmp_path):
    err = tool('test.py', VANILLA, tmp_path / 'missing.pth', '--work-dir',
               tmp_path / 'wd')
    assert 'missing.pth' in err and 'does not exist' in err


def test_test_truncated_checkpoint(tool, tmp_path):
    ckpt = _truncated_checkpoint(tmp_path)
    err = tool('test.py', VANILLA, ckpt, '--work-dir', tmp_path / 'wd')
    assert ckpt in err and 'not a readable checkpoint' in err


def test_test_empty_checkpoint(tool, tmp_path):
    ckpt = tmp_path / 'empty.pth'
    ckpt.write_bytes(b'')
    err = tool('test.py', VANILLA, ckpt, '--work-dir', tmp_path / 'wd')
    assert str(ckpt) in err and 'not a readable checkpoint' in err


def test_test_untrusted_pickled_checkpoint(tool, tmp_path):
    import numpy as np
    from mmengine.logging import HistoryBuffer
    ckpt = tmp_path / 'foreign.pth'
    torch.save(
        dict(
            state_dict={},
            message_hub={'x': HistoryBuffer([np.float64(1)], [1])}), ckpt)
    err = tool('test.py', VANILLA, ckpt, '--work-dir', tmp_path / 'wd')
    assert str(ckpt) in err and '--trust-checkpoint' in err


# --- tools/ptq.py --------------------------------------------------------


def test_ptq_config_without_ptq_loop(tool, tmp_path):
    err = tool('ptq.py', VANILLA, '--work-dir', tmp_path / 'wd')
    assert 'test_cfg.type' in err and 'PTQLoop' in err
    assert written(tmp_path / 'wd') == []


def test_ptq_unknown_observer(tool, tmp_path):
    cfg = _cfg(
        tmp_path, 'global_qconfig = dict(w_observer=dict('
        "type='mmrazor.PerChanelMinMaxObserver'))\n"
        'model = dict(quantizer=dict(global_qconfig=global_qconfig))\n',
        base=PTQ)
    err = tool('ptq.py', cfg, '--work-dir', tmp_path / 'wd')
    assert 'PerChanelMinMaxObserver' in err
    assert 'PerChannelMinMaxObserver' in err


# --- pruning tools -------------------------------------------------------


def test_get_channel_units_missing_config(tool, tmp_path):
    err = tool('pruning/get_channel_units.py', tmp_path / 'none.py')
    assert 'none.py' in err and 'does not exist' in err


def test_get_flops_config_syntax_error(tool, tmp_path):
    bad = tmp_path / 'broken.py'
    bad.write_text('model = (\n')
    err = tool('pruning/get_flops.py', bad)
    assert 'broken.py' in err


def test_l1_prune_config_missing_subnet(tool, tmp_path):
    err = tool('pruning/get_l1_prune_config.py', VANILLA, '--subnet',
               tmp_path / 'subnet.json', '-o', tmp_path / 'out.py')
    assert 'subnet.json' in err and 'not found' in err
    assert not osp.exists(tmp_path / 'out.py')


def test_l1_prune_config_corrupt_subnet(tool, tmp_path):
    subnet = tmp_path / 'subnet.json'
    subnet.write_text('{"backbone.conv1_(0, 16)_16": ')
    err = tool('pruning/get_l1_prune_config.py', VANILLA, '--subnet', subnet,
               '-o', tmp_path / 'out.py')
    assert 'subnet.json' in err and 'JSON' in err
    assert not osp.exists(tmp_path / 'out.py')


def test_static_model_missing_checkpoint(tool, tmp_path):
    err = tool('pruning/get_static_model_from_algorithm.py', L1,
               tmp_path / 'pruned.pth', '-o', tmp_path / 'out')
    assert 'pruned.pth' in err and 'not found' in err
    assert written(tmp_path) == []


def test_static_model_not_a_pruning_config(tool, tmp_path):
    ckpt = tmp_path / 'vanilla.pth'
    torch.save({'state_dict': {}, 'meta': {}}, ckpt)
    err = tool('pruning/get_static_model_from_algorithm.py', VANILLA, ckpt,
               '-o', tmp_path / 'out')
    assert 'no channel mutator' in err and 'pruning algorithm' in err
    assert not osp.exists(tmp_path / 'out')


# --- model converters ----------------------------------------------------


def test_convert_kd_ckpt_missing_file(tool, tmp_path):
    err = tool('model_converters/convert_kd_ckpt.py', tmp_path / 'kd.pth')
    assert 'kd.pth' in err and 'does not exist' in err


def test_convert_kd_ckpt_to_student_not_a_kd_checkpoint(tool, tmp_path):
    ckpt = tmp_path / 'plain.pth'
    torch.save({'state_dict': {'backbone.w': torch.zeros(1)}}, ckpt)
    err = tool('model_converters/convert_kd_ckpt_to_student.py', ckpt,
               '--out-path', tmp_path / 'student.pth')
    assert 'architecture' in err
    assert not osp.exists(tmp_path / 'student.pth')


def test_convert_quant_ckpt_truncated(tool, tmp_path):
    ckpt = _truncated_checkpoint(tmp_path, 'qat.pth')
    err = tool('model_converters/convert_quant_ckpt.py', ckpt, '--out-path',
               tmp_path / 'deploy.pth')
    assert ckpt in err and 'not a readable checkpoint' in err
    assert not osp.exists(tmp_path / 'deploy.pth')


def test_convert_supernet2subnet_missing_yaml(tool, tmp_path):
    ckpt = tmp_path / 'supernet.pth'
    torch.save({'state_dict': {}}, ckpt)
    err = tool('model_converters/convert_supernet2subnet.py', SPOS, ckpt,
               tmp_path / 'subnet.yaml')
    assert 'subnet.yaml' in err and 'does not exist' in err


@pytest.mark.parametrize('tool_name', ['misc/print_config.py'])
def test_print_config_missing_file(tool, tmp_path, tool_name):
    err = tool(tool_name, tmp_path / 'none.py')
    assert 'none.py' in err
