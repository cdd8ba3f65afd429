# Copyright (c) OpenMMLab. All rights reserved.
from .module_mutator import ModuleMutator, OneShotModuleMutator, ValueMutator

__all__ = ['ModuleMutator', 'OneShotModuleMutator', 'ValueMutator']
