# Copyright (c) OpenMMLab. All rights reserved.
"""The base class of every mutator (manager of mutables)."""
from abc import ABC, abstractmethod
from typing import Dict, Generic, List, Optional, TypeVar

from mmengine.model import BaseModule
from torch.nn import Module

from ..mutables.base_mutable import BaseMutable

MUTABLE_TYPE = TypeVar('MUTABLE_TYPE', bound=BaseMutable)


class BaseMutator(ABC, BaseModule, Generic[MUTABLE_TYPE]):
    """The base class for mutators.

    All mutators should subclass it. All subclasses should implement
    :meth:`prepare_from_supernet` and the :attr:`search_groups` property.

    Args:
        init_cfg (dict, optional): The config to control the
            initialization. Defaults to None.
    """

    def __init__(self, init_cfg: Optional[Dict] = None) -> None:
        super().__init__(init_cfg=init_cfg)

    @abstractmethod
    def prepare_from_supernet(self, supernet: Module) -> None:
        """Do some necessary preparations with supernet (e.g. build the
        search groups).

        Args:
            supernet (:obj:`torch.nn.Module`): The supernet to be searched
                in your algorithm.
        """

    @property
    @abstractmethod
    def search_groups(self) -> Dict[object, List[MUTABLE_TYPE]]:
        """Search group of the supernet.

        Note:
            Search group is different from search space. The key of search
            group is called ``group_id``, and the value is corresponding
            searchable modules. The searchable modules will have the same
            search space if they are in the same group.

        Returns:
            dict: Search group.
        """
