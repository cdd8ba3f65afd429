# Copyright (c) OpenMMLab. All rights reserved.
from .atomic_io import atomic_open, atomic_write
from .index_dict import IndexDict
from .log_tools import print_log
from .misc import find_latest_checkpoint
from .placeholder import get_package_placeholder, get_placeholder
from .runtime_info import RuntimeInfo
from .setup_env import register_all_modules, setup_multi_processes
from .typing import (DumpChosen, FixMutable, MultiMutatorsRandomSubnet,
                     SingleMutatorRandomSubnet, SupportRandomSubnet,
                     ValidFixMutable)

__all__ = [
    'find_latest_checkpoint', 'setup_multi_processes', 'register_all_modules',
    'FixMutable', 'ValidFixMutable', 'SingleMutatorRandomSubnet',
    'MultiMutatorsRandomSubnet', 'SupportRandomSubnet', 'get_placeholder',
    'IndexDict', 'get_package_placeholder', 'RuntimeInfo', 'DumpChosen',
    'print_log', 'atomic_open', 'atomic_write'
]
