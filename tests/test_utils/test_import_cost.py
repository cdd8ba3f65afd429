# Copyright (c) OpenMMLab. All rights reserved.
"""``import mmrazor`` / ``import mmrazor.models`` pull in no optional
upstream package (benchmarks/import_time.py measures the time)."""
import json
import subprocess
import sys

OPTIONAL = ('mmpretrain', 'mmdet', 'mmseg', 'onnx', 'onnxruntime', 'sklearn',
            'matplotlib', 'scipy')

CODE = f'''
import json, sys
found = {{}}
import mmrazor
found['mmrazor'] = sorted(m for m in {OPTIONAL!r} if m in sys.modules)
import mmrazor.models
found['mmrazor.models'] = sorted(
    m for m in {OPTIONAL!r} if m in sys.modules)
print(json.dumps(found))
'''


def test_import_loads_no_optional_package():
    proc = subprocess.run([sys.executable, '-c', CODE],
                          capture_output=True,
                          text=True,
                          timeout=300)
    assert proc.returncode == 0, proc.stderr[-2000:]
    found = json.loads(proc.stdout.strip().splitlines()[-1])
    assert found == {'mmrazor': [], 'mmrazor.models': []}
