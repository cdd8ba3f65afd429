# Copyright (c) OpenMMLab. All rights reserved.
"""``model-index.yml`` and the metafiles cover the config tree: every
metafile on disk is imported, every imported metafile exists, every config
and README a metafile names exists."""
import glob
import os.path as osp

import yaml

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))


def load_index():
    with open(osp.join(REPO, 'model-index.yml')) as f:
        return yaml.safe_load(f)['Import']


def test_every_metafile_on_disk_is_imported():
    imported = set(load_index())
    on_disk = {
        osp.relpath(p, REPO)
        for p in glob.glob(
            osp.join(REPO, 'configs', '**', 'metafile.yml'), recursive=True)
    }
    assert on_disk, 'no metafile found'
    assert not on_disk - imported, sorted(on_disk - imported)


def test_every_named_file_exists():
    missing = []
    models = 0
    for metafile in load_index():
        path = osp.join(REPO, metafile)
        if not osp.isfile(path):
            missing.append(metafile)
            continue
        with open(path) as f:
            meta = yaml.safe_load(f) or {}
        for collection in meta.get('Collections', []):
            readme = collection.get('README')
            if readme and not osp.isfile(osp.join(REPO, readme)):
                missing.append(f'{metafile}: {readme}')
        for model in meta.get('Models', []):
            models += 1
            config = model.get('Config')
            if not config or not osp.isfile(osp.join(REPO, config)):
                missing.append(f'{metafile}: {model.get("Name")}: {config}')
    assert not missing, '\n'.join(missing)
    assert models >= len(load_index())
