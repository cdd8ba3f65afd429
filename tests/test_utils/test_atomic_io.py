# Copyright (c) OpenMMLab. All rights reserved.
import json
import os

import pytest

from mmrazor.utils import atomic_open, atomic_write


def test_atomic_open_replaces_and_keeps_old_on_error(tmp_path):
    path = tmp_path / 'subnet.yaml'
    with atomic_open(path) as f:
        f.write('a: 1\n')
    assert path.read_text() == 'a: 1\n'
    with pytest.raises(RuntimeError):
        with atomic_open(path) as f:
            f.write('a: 2\n')
            raise RuntimeError('serializer failed')
    assert path.read_text() == 'a: 1\n'
    assert os.listdir(tmp_path) == ['subnet.yaml']


def test_atomic_open_binary_and_bad_mode(tmp_path):
    path = tmp_path / 'x.bin'
    with atomic_open(path, 'wb') as f:
        f.write(b'\x00\x01')
    assert path.read_bytes() == b'\x00\x01'
    with pytest.raises(ValueError, match="mode 'w' or 'wb'"):
        with atomic_open(path, 'a'):
            pass


def test_atomic_write_keeps_suffix_and_old_file(tmp_path):
    path = tmp_path / 'units.json'
    seen = []

    def writer(tmp):
        seen.append(os.path.splitext(tmp)[1])
        with open(tmp, 'w') as f:
            json.dump({'k': 1}, f)

    atomic_write(path, writer)
    assert seen == ['.json']
    assert json.loads(path.read_text()) == {'k': 1}

    def broken(tmp):
        with open(tmp, 'w') as f:
            f.write('{"k": ')
        raise OSError('disk full')

    with pytest.raises(OSError, match='disk full'):
        atomic_write(path, broken)
    assert json.loads(path.read_text()) == {'k': 1}
    assert os.listdir(tmp_path) == ['units.json']


def test_written_files_get_the_usual_mode(tmp_path):
    umask = os.umask(0o022)
    try:
        with atomic_open(tmp_path / 'a.json') as f:
            f.write('{}')
        atomic_write(tmp_path / 'b.json',
                     lambda tmp: open(tmp, 'w').write('{}'))
    finally:
        os.umask(umask)
    for name in ('a.json', 'b.json'):
        assert (tmp_path / name).stat().st_mode & 0o777 == 0o644
