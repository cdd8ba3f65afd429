# Copyright (c) OpenMMLab. All rights reserved.
"""``mmrazor::`` prefixes resolve from any working directory with a develop
install; renamed mmdet/mmpretrain ``_base_`` configs resolve to their
successors with a one-line notice."""
import os.path as osp
import subprocess
import sys

import pytest

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))


def test_mmrazor_prefix_from_another_directory(tmp_path):
    downstream = tmp_path / 'downstream.py'
    downstream.write_text(
        "_base_ = ['mmrazor::_base_/settings/imagenet_bs1024_spos.py']\n"
        "extra = 1\n")
    code = (
        'import mmrazor\n'
        'from mmengine.config import Config\n'
        f'cfg = Config.fromfile({str(downstream)!r})\n'
        'print(cfg.extra, cfg.train_dataloader.batch_size)\n'
        'cfg = Config.fromfile(\n'
        f'    {osp.join(REPO, "configs/nas/mmcls/spos/spos_shufflenet_supernet_8xb128_in1k.py")!r})\n'  # noqa: E501
        'print(cfg.model.type)\n')
    out = subprocess.run([sys.executable, '-c', code],
                         cwd=str(tmp_path),
                         capture_output=True,
                         text=True,
                         timeout=300)
    assert out.returncode == 0, out.stderr[-2000:]
    lines = out.stdout.split()
    assert lines[0] == '1' and int(lines[1]) > 0
    assert 'SPOS' in out.stdout


def test_installed_path_falls_back_to_the_import_location():
    import mmrazor
    from mmrazor.utils.config_compat import installed_path
    assert installed_path('mmrazor') == osp.dirname(mmrazor.__file__)
    assert osp.isfile(
        osp.join(installed_path('mmrazor'), '.mim', 'model-index.yml'))


@pytest.mark.parametrize('old,new', [
    ('mmdet::faster_rcnn/faster_rcnn_r50_fpn_1x_coco.py',
     'faster_rcnn/faster-rcnn_r50_fpn_1x_coco.py'),
    ('mmcls::deit/deit-base_pt-16xb64_in1k.py',
     'deit/deit-base_16xb64_in1k.py'),
])
def test_renamed_base_resolves_with_notice(tmp_path, old, new):
    package = old.split('::')[0]
    pytest.importorskip('mmdet' if package == 'mmdet' else 'mmpretrain')
    from mmengine.config import Config
    from mmengine.logging import MMLogger

    import mmrazor  # noqa: F401
    from mmrazor.utils import config_compat
    config_compat._STATE['notified'].clear()
    path = tmp_path / 'cfg.py'
    path.write_text(f'_base_ = [{old!r}]\n')
    messages = []
    logger = MMLogger.get_current_instance()
    handler_cls = __import__('logging').Handler

    class Grab(handler_cls):

        def emit(self, record):
            messages.append(record.getMessage())

    grab = Grab()
    logger.addHandler(grab)
    try:
        cfg = Config.fromfile(str(path))
    finally:
        logger.removeHandler(grab)
    assert 'model' in cfg
    notices = [m for m in messages if 'renamed upstream' in m]
    assert len(notices) == 1 and new in notices[0] and old in notices[0]
    assert '\n' not in notices[0]


def test_unknown_base_still_fails(tmp_path):
    from mmengine.config import Config

    import mmrazor  # noqa: F401
    path = tmp_path / 'cfg.py'
    path.write_text("_base_ = ['mmdet::faster_rcnn/no_such_config.py']\n")
    with pytest.raises(FileNotFoundError):
        Config.fromfile(str(path))


def test_find_successor_table_and_tokens(tmp_path):
    from mmrazor.utils.config_compat import find_successor
    configs = tmp_path / '.mim' / 'configs' / 'yolox'
    configs.mkdir(parents=True)
    (configs / 'yolox_s_8xb8-300e_coco.py').write_text('')
    (configs / 'a-b_c.py').write_text('')
    (configs / 'a_b-c.py').write_text('')
    assert find_successor(str(tmp_path), 'mmdet',
                          'yolox/yolox_s_8x8_300e_coco.py') == \
        'yolox/yolox_s_8xb8-300e_coco.py'
    # two candidates differ only in separators: ambiguous, no guess
    assert find_successor(str(tmp_path), 'mmdet', 'yolox/a_b_c.py') is None
