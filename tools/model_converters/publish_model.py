# Copyright (c) OpenMMLab. All rights reserved.
"""Prepare a checkpoint for publishing.

Drops the training state (``optimizer``, ``message_hub``,
``param_schedulers``), saves the rest in the legacy (non-zip) format and
names the file after its SHA-256: ``{out_dir}/{model_name}_{timestamp}-
{sha8}.pth``. The run's text log and ``vis_data`` JSON scalars (found in
the ``{timestamp}/`` folder beside the checkpoint) are copied as
``{model_name}_{timestamp}.log`` and ``.json``. Every file is written
atomically.

    python tools/model_converters/publish_model.py work_dirs/x/epoch_15.pth \
        [--model-name NAME] [--timestamp YYYYMMDD_HHMMSS] [--out-dir DIR]
"""
import argparse
import glob
import hashlib
import io
import os.path as osp
import re
import shutil
import time
from typing import Dict, Optional

import torch

from mmrazor.utils.cli import ToolError, add_common_args, run_tool

#: Training state that a published checkpoint does not carry.
STRIPPED_KEYS = ('optimizer', 'message_hub', 'param_schedulers')
_TIMESTAMP = re.compile(r'^\d{8}_\d{6}$')


def parse_args(argv=None):
    parser = argparse.ArgumentParser(
        description='Strip training state and add a SHA-256 suffix')
    parser.add_argument('ckpt', help='checkpoint to publish')
    parser.add_argument(
        '--model-name',
        help='name of the published model (default: the checkpoint folder)')
    parser.add_argument(
        '--timestamp',
        help='run timestamp, YYYYMMDD_HHMMSS (default: the latest run '
        'folder beside the checkpoint, else now)')
    parser.add_argument(
        '--out-dir', help='output folder (default: beside the checkpoint)')
    add_common_args(parser)
    return parser.parse_args(argv)


def latest_run(work_dir: str) -> Optional[str]:
    """The newest ``YYYYMMDD_HHMMSS`` run folder in ``work_dir``."""
    runs = sorted(
        name for name in (osp.basename(p.rstrip('/'))
                          for p in glob.glob(osp.join(work_dir, '*/')))
        if _TIMESTAMP.match(name))
    return runs[-1] if runs else None


def strip(checkpoint: Dict) -> Dict:
    """The checkpoint without its training state."""
    if not isinstance(checkpoint, dict):
        raise ToolError('the checkpoint is not a dict (got '
                        f'{type(checkpoint).__name__})')
    return {k: v for k, v in checkpoint.items() if k not in STRIPPED_KEYS}


def publish(ckpt: str,
            model_name: Optional[str] = None,
            timestamp: Optional[str] = None,
            out_dir: Optional[str] = None) -> Dict[str, str]:
    """Publish ``ckpt``.

    Args:
        ckpt (str): The checkpoint.
        model_name (str, optional): Defaults to the checkpoint's folder name.
        timestamp (str, optional): Defaults to the latest run folder beside
            the checkpoint, else the current time.
        out_dir (str, optional): Defaults to the checkpoint's folder.

    Returns:
        dict: Paths written: ``checkpoint`` and, when found, ``log`` and
        ``json``.
    """
    from mmrazor.engine.runner.checkpoint import safe_torch_load
    from mmrazor.utils import atomic_open, atomic_write
    if not osp.isfile(ckpt):
        raise ToolError(f'checkpoint {ckpt!r} does not exist')
    work_dir = osp.dirname(osp.abspath(ckpt))
    model_name = model_name or osp.basename(work_dir)
    run = latest_run(work_dir)
    timestamp = timestamp or run or time.strftime('%Y%m%d_%H%M%S')
    if not _TIMESTAMP.match(timestamp):
        raise ToolError(f'--timestamp must look like YYYYMMDD_HHMMSS, got '
                        f'{timestamp!r}')
    out_dir = out_dir or work_dir
    checkpoint = strip(safe_torch_load(ckpt, map_location='cpu'))
    buffer = io.BytesIO()
    torch.save(checkpoint, buffer, _use_new_zipfile_serialization=False)
    data = buffer.getvalue()
    sha = hashlib.sha256(data).hexdigest()
    written = {
        'checkpoint': osp.join(out_dir,
                               f'{model_name}_{timestamp}-{sha[:8]}.pth')
    }
    with atomic_open(written['checkpoint'], 'wb') as f:
        f.write(data)
    run_dir = osp.join(work_dir, timestamp)
    sources = dict(
        log=osp.join(run_dir, f'{timestamp}.log'),
        json=osp.join(run_dir, 'vis_data', f'{timestamp}.json'))
    for kind, src in sources.items():
        if osp.isfile(src):
            dst = osp.join(out_dir, f'{model_name}_{timestamp}.{kind}')
            atomic_write(dst, lambda tmp, src=src: shutil.copyfile(src, tmp))
            written[kind] = dst
    return written


def main(argv=None) -> Dict[str, str]:
    args = parse_args(argv)
    written = publish(args.ckpt, args.model_name, args.timestamp, args.out_dir)
    for kind, path in written.items():
        print(f'{kind}: {path}')
    return written


if __name__ == '__main__':
    run_tool(main)
