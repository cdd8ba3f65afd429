# Copyright (c) OpenMMLab. All rights reserved.
from .base_mutator import BaseMutator  # noqa: F401
from .group_mixin import GroupMixin  # noqa: F401
from .module_mutator import *  # noqa: F401,F403
from .nas_mutator import NasMutator  # noqa: F401
from .channel_mutator import *  # noqa: F401,F403

from mmrazor.utils.reexport import subpackage_getattr  # noqa: E402 isort:skip

__getattr__ = subpackage_getattr(__name__)
