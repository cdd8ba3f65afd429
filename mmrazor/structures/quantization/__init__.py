# Copyright (c) OpenMMLab. All rights reserved.
from .backend_config import *  # noqa: F401,F403
from .qconfig import QConfigHandler, QSchemeHandler

__all__ = ['QConfigHandler', 'QSchemeHandler']
