# Copyright (c) OpenMMLab. All rights reserved.
"""Default ``device_ids`` of the algorithms' DDP wrappers."""
import os
from typing import List, Optional, Union

import torch


def default_ddp_device_ids(
    device_ids: Optional[Union[List, int, torch.device]]
) -> Optional[Union[List, int, torch.device]]:
    """``device_ids`` for a DDP wrapper: ``[LOCAL_RANK]`` (0 when unset)
    when none is given and CUDA is available, else ``device_ids`` as given
    (None on CPU).

    Args:
        device_ids (list | int | torch.device, optional): The configured
            device ids.

    Returns:
        list | int | torch.device | None: The device ids to use.
    """
    if device_ids is None and torch.cuda.is_available():
        device_ids = [int(os.environ.get('LOCAL_RANK', 0))]
    return device_ids
