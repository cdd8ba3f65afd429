# Copyright (c) OpenMMLab. All rights reserved.
from .diff_module_mutator import DiffModuleMutator
from .module_mutator import ModuleMutator, OneShotModuleMutator, ValueMutator

__all__ = [
    'ModuleMutator', 'OneShotModuleMutator', 'ValueMutator',
    'DiffModuleMutator'
]
