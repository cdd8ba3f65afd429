# Copyright (c) OpenMMLab. All rights reserved.
import logging
from typing import Any, Optional, Union

from mmengine import dist
from mmengine.logging import print_log as engine_print_log


def print_log(msg: Any,
              logger: Optional[Union[logging.Logger, str]] = 'current',
              level: int = logging.INFO,
              only_rank0: bool = True) -> None:
    """Print a log message, by default on rank 0 only.

    Args:
        msg (Any): The message.
        logger (Logger | str, optional): See
            :func:`mmengine.logging.print_log`. Defaults to 'current'.
        level (int): Logging level. Defaults to ``logging.INFO``.
        only_rank0 (bool): Print on rank 0 only. Defaults to True.
    """
    if only_rank0 and dist.get_rank() != 0:
        return
    engine_print_log(msg, logger=logger, level=level)
