# Copyright (c) OpenMMLab. All rights reserved.
"""Base class of the mutables that choose among candidate modules."""
from abc import abstractmethod
from typing import Any, Dict, List, Optional

from ..base_mutable import CHOICE_TYPE, CHOSEN_TYPE, BaseMutable


class MutableModule(BaseMutable[CHOICE_TYPE, CHOSEN_TYPE]):
    """Base Class for mutable modules.

    Args:
        module_kwargs (dict[str, dict], optional): Module initialization
            named arguments merged into every candidate's config.
            Defaults to None.
        alias (str, optional): alias of the MUTABLE.
        init_cfg (dict, optional): initialization configuration dict for
            ``BaseModule``. Defaults to None.

    Note:
        :meth:`forward_all` is called when calculating FLOPs.
    """

    def __init__(self,
                 module_kwargs: Optional[Dict[str, Dict]] = None,
                 alias: Optional[str] = None,
                 init_cfg: Optional[Dict] = None) -> None:
        super().__init__(alias=alias, init_cfg=init_cfg)
        self.module_kwargs = module_kwargs
        self._current_choice: Optional[CHOICE_TYPE] = None

    @property
    def mutable_prefix(self) -> str:
        """str: Prefix of the search-group keys (``module``)."""
        return 'module'

    @property
    def current_choice(self) -> Optional[CHOICE_TYPE]:
        """Current choice; ``None`` means forwarding all candidates."""
        return self._current_choice

    @current_choice.setter
    def current_choice(self, choice: Optional[CHOICE_TYPE]) -> None:
        # a plain attribute (never a parameter, buffer or module): skip the
        # bookkeeping of ``nn.Module.__setattr__``, the mutator sets every
        # mutable on every training step
        self.__dict__['_current_choice'] = choice

    @property
    @abstractmethod
    def choices(self) -> List[CHOICE_TYPE]:
        """list: all choices. All subclasses must implement this method."""

    @abstractmethod
    def forward(self, x: Any) -> Any:
        """Forward computation."""

    @property
    def num_choices(self) -> int:
        """int: Number of choices."""
        return len(self.choices)
