# Copyright (c) OpenMMLab. All rights reserved.
"""model-index.yml lists metafiles that exist, whose models point to
existing configs (and README/subnet files)."""
import os.path as osp

import yaml

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))


def _metafiles():
    with open(osp.join(REPO, 'model-index.yml')) as f:
        index = yaml.safe_load(f)
    assert isinstance(index, dict) and isinstance(index.get('Import'), list)
    return index['Import']


def test_every_metafile_and_config_exists():
    metafiles = _metafiles()
    assert len(metafiles) == len(set(metafiles)), 'duplicated imports'
    problems = []
    for metafile in metafiles:
        path = osp.join(REPO, metafile)
        if not osp.isfile(path):
            problems.append(f'{metafile}: missing')
            continue
        with open(path) as f:
            meta = yaml.safe_load(f)
        collections = {c['Name'] for c in meta.get('Collections', [])}
        for collection in meta.get('Collections', []):
            readme = collection.get('README')
            if readme and not osp.isfile(osp.join(REPO, readme)):
                problems.append(f'{metafile}: README {readme} missing')
        for model in meta.get('Models', []):
            name = model.get('Name')
            if model.get('In Collection') not in collections:
                problems.append(f'{metafile}: {name} is in unknown '
                                f'collection {model.get("In Collection")}')
            config = model.get('Config')
            if not config or not osp.isfile(osp.join(REPO, config)):
                problems.append(f'{metafile}: {name} Config {config} '
                                'missing')
    assert not problems, '\n'.join(problems)


def test_nas_metafiles_listed_with_metadata():
    metafiles = _metafiles()
    for metafile in ('configs/nas/mmcls/spos/metafile.yml',
                     'configs/nas/mmdet/detnas/metafile.yml'):
        assert metafile in metafiles
        with open(osp.join(REPO, metafile)) as f:
            meta = yaml.safe_load(f)
        for model in meta['Models']:
            assert model['Metadata']['FLOPs'] > 0
            assert model['Metadata']['Parameters'] > 0
            assert model['Results'][0]['Metrics']
            subnet = model['Metadata'].get('Mutable')
            assert subnet is None or osp.isfile(osp.join(REPO, subnet))
