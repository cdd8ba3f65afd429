# Copyright (c) OpenMMLab. All rights reserved.
import mmengine
import pytest

import mmrazor


def test_incompatible_mmengine_gives_one_clear_message(monkeypatch):
    monkeypatch.setattr(mmengine, '__version__', '0.1.0')
    with pytest.raises(ImportError) as info:
        mmrazor._check_versions()
    msg = str(info.value)
    assert 'mmengine==0.1.0 is installed' in msg
    assert f'{mmrazor.MMENGINE_MIN} <= mmengine < {mmrazor.MMENGINE_MAX}' \
        in msg
    assert 'tools/setup_env.sh' in msg


def test_incompatible_mmcv(monkeypatch):
    import mmcv
    monkeypatch.setattr(mmcv, '__version__', '9.0.0')
    with pytest.raises(ImportError, match=r'mmcv==9\.0\.0 is installed'):
        mmrazor._check_versions()


def test_installed_stack_is_accepted():
    mmrazor._check_versions()
    assert mmrazor.__version__ == '1.0.0'
    assert mmrazor.digit_version('1.0.0') > mmrazor.digit_version('0.9')
