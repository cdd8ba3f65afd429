# Copyright (c) OpenMMLab. All rights reserved.
import glob
import os.path as osp
import re
from typing import Optional


def find_latest_checkpoint(path: str, suffix: str = 'pth') -> Optional[str]:
    """Find the latest checkpoint from the working directory.

    ``latest.<suffix>`` wins when it exists; otherwise the checkpoint whose
    name ends with the largest number (``epoch_12.pth``, ``iter_400.pth``).

    Args:
        path (str): The path to find checkpoints.
        suffix (str): File extension. Defaults to pth.

    Returns:
        str | None: File path of the latest checkpoint, None if none.
    """
    if not osp.exists(path):
        return None
    if osp.exists(osp.join(path, f'latest.{suffix}')):
        return osp.join(path, f'latest.{suffix}')
    latest_path, latest_count = None, -1
    for checkpoint in glob.glob(osp.join(path, f'*.{suffix}')):
        match = re.search(r'(\d+)\.' + re.escape(suffix) + '$', checkpoint)
        if match is None:
            continue
        count = int(match.group(1))
        if count > latest_count:
            latest_count, latest_path = count, checkpoint
    return latest_path
