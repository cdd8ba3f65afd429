# Copyright (c) OpenMMLab. All rights reserved.
"""``mmrazor.models`` loads its subpackages lazily; every public name and
every registered type must still resolve."""
import importlib
import json
import pkgutil
import subprocess
import sys
from types import ModuleType

import pytest

import mmrazor
import mmrazor.models as models

REGISTRY_NAMES = ('RUNNERS', 'RUNNER_CONSTRUCTORS', 'LOOPS', 'HOOKS',
                  'DATASETS', 'DATA_SAMPLERS', 'TRANSFORMS', 'MODELS',
                  'MODEL_WRAPPERS', 'WEIGHT_INITIALIZERS', 'OPTIMIZERS',
                  'OPTIM_WRAPPERS', 'OPTIM_WRAPPER_CONSTRUCTORS',
                  'PARAM_SCHEDULERS', 'METRICS', 'TASK_UTILS', 'VISUALIZERS',
                  'VISBACKENDS')


def _run(code: str, stdin: str = '') -> str:
    proc = subprocess.run([sys.executable, '-W', 'ignore', '-c', code],
                          input=stdin,
                          capture_output=True,
                          text=True,
                          timeout=300)
    assert proc.returncode == 0, proc.stderr[-3000:]
    return proc.stdout.strip().splitlines()[-1]


def _packages():
    return [
        info.name
        for info in pkgutil.walk_packages(mmrazor.__path__, 'mmrazor.')
        if info.ispkg
    ]


def test_bare_import_loads_no_subpackage():
    code = ('import json, sys\n'
            'import mmrazor.models\n'
            'print(json.dumps(sorted(m for m in sys.modules if '
            'm.startswith("mmrazor.models.") or m in ("cv2", '
            '"mmengine.runner", "mmcv.cnn", "torch.ao.quantization.fx"))))')
    assert json.loads(_run(code)) == []


@pytest.mark.parametrize('package', _packages())
def test_every_name_in_all_is_importable(package):
    module = importlib.import_module(package)
    names = getattr(module, '__all__', None)
    if names is None:
        pytest.skip(f'{package} defines no __all__')
    missing = [name for name in names if not hasattr(module, name)]
    assert not missing, f'{package}.__all__ lists missing names {missing}'


def test_models_namespace_matches_its_subpackages():
    expected = {}
    for sub in models._SUBPACKAGES:
        module = importlib.import_module(f'mmrazor.models.{sub}')
        names = getattr(module, '__all__', None)
        if names is None:
            names = [n for n in vars(module) if not n.startswith('_')]
        for name in names:
            expected[name] = getattr(module, name)  # later rows win
    for name, obj in expected.items():
        if name != 'utils':  # ``mmrazor.models.utils`` is the real module
            assert getattr(models, name) is obj, name
    public = {
        n
        for n, obj in expected.items() if not isinstance(obj, ModuleType)
    }
    assert set(models.__all__) == public
    assert len(public) > 250
    namespace = {}
    exec('from mmrazor.models import *', namespace)  # noqa: S102
    assert set(namespace) - {'__builtins__'} == public
    # the family classes users import from the top level
    from mmrazor.models import (SPOS, BaseAlgorithm, ChannelMutator,
                                ConfigurableDistiller, OneShotMutableOP)
    assert SPOS.__module__ == 'mmrazor.models.algorithms.nas.spos'
    assert issubclass(SPOS, BaseAlgorithm)
    for cls in (ChannelMutator, ConfigurableDistiller, OneShotMutableOP):
        assert expected[cls.__name__] is cls
    # a submodule of the package is the module, not a subpackage's namesake
    assert models.utils.__name__ == 'mmrazor.models.utils'


def test_unknown_attribute_names_the_subpackages():
    with pytest.raises(AttributeError, match='SPOZ.*algorithms'):
        models.SPOZ  # noqa: B018


def test_registered_names_resolve_without_prior_import():
    listing = _run('import json\n'
                   'import mmrazor.registry as R\n'
                   'from mmrazor.utils import register_all_modules\n'
                   'register_all_modules(False)\n'
                   'out = {}\n'
                   f'for reg in {REGISTRY_NAMES!r}:\n'
                   '    out[reg] = {k: f"{v.__module__}.{v.__qualname__}"\n'
                   '                for k, v in getattr(R, reg)'
                   '.module_dict.items()}\n'
                   'print(json.dumps(out))')
    registered = json.loads(listing)
    assert len(registered['MODELS']) > 100
    assert len(registered['TASK_UTILS']) > 30
    resolved = _run(
        'import json, sys\n'
        'import mmrazor.registry as R\n'
        'assert "mmrazor.models.algorithms" not in sys.modules\n'
        'listing = json.loads(sys.stdin.read())\n'
        'out = {}\n'
        'for reg, names in listing.items():\n'
        '    out[reg] = {}\n'
        '    for k in names:\n'
        '        v = getattr(R, reg).get("mmrazor." + k)\n'
        '        out[reg][k] = None if v is None else '
        'f"{v.__module__}.{v.__qualname__}"\n'
        'print(json.dumps(out))',
        stdin=listing)
    assert json.loads(resolved) == registered


def test_build_by_type_without_prior_import():
    code = ('import sys\n'
            'from mmengine.registry import MODELS, TASK_UTILS\n'
            'import mmrazor.models\n'
            'loss = MODELS.build(dict(type="mmrazor.KLDivergence", tau=2))\n'
            'rec = TASK_UTILS.build(dict(type="mmrazor.ModuleOutputsRecorder",'
            ' source="fc"))\n'
            'op = MODELS.build(dict(type="mmrazor.OneShotMutableOP", '
            'candidates=dict(a=dict(type="torch.nn.Identity"), '
            'b=dict(type="torch.nn.ReLU"))))\n'
            'print(type(loss).__name__, loss.tau, type(rec).__name__, '
            'type(op).__name__, sorted(op.choices))')
    assert _run(code).split() == [
        'KLDivergence', '2', 'ModuleOutputsRecorder', 'OneShotMutableOP',
        "['a',", "'b']"
    ]
