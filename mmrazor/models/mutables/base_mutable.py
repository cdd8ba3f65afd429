# Copyright (c) OpenMMLab. All rights reserved.
"""The base class of every mutable (searchable module, value or channel)."""
from abc import ABC, abstractmethod
from typing import Dict, Generic, Optional, TypeVar

from mmengine.model import BaseModule

from mmrazor.utils.typing import DumpChosen

CHOICE_TYPE = TypeVar('CHOICE_TYPE')
CHOSEN_TYPE = TypeVar('CHOSEN_TYPE')


class BaseMutable(BaseModule, ABC, Generic[CHOICE_TYPE, CHOSEN_TYPE]):
    """Base Class for mutables.

    Mutable means a searchable module widely used in Neural Architecture
    Search (NAS). It mainly consists of some optional operations, and
    achieves the searchable function by handling choices with a MUTATOR.

    All subclasses should implement the following APIs:

    - ``fix_chosen()``
    - ``dump_chosen()``
    - ``current_choice.setter()``
    - ``current_choice.getter()``
    - ``num_choices``

    Args:
        alias (str, optional): alias of the MUTABLE. Mutables sharing an
            alias are grouped together by the mutators, and the alias is
            the key of the mutable in an exported subnet.
        init_cfg (dict, optional): initialization configuration dict for
            ``BaseModule``. Defaults to None.
    """

    def __init__(self,
                 alias: Optional[str] = None,
                 init_cfg: Optional[Dict] = None) -> None:
        super().__init__(init_cfg=init_cfg)
        if alias is not None and not isinstance(alias, str):
            raise TypeError(f'alias of {type(self).__name__} must be a str '
                            f'or None, got {type(alias).__name__}')
        self.alias = alias
        self._is_fixed = False

    @property  # type: ignore
    @abstractmethod
    def current_choice(self) -> Optional[CHOICE_TYPE]:
        """Current choice; it affects ``forward`` and is read by
        :func:`mmrazor.structures.subnet.export_fix_subnet` and mutators."""

    @current_choice.setter  # type: ignore
    @abstractmethod
    def current_choice(self, choice: Optional[CHOICE_TYPE]) -> None:
        """Set the current choice."""

    @property
    def is_fixed(self) -> bool:
        """bool: whether the mutable is fixed.

        Note:
            A fixed mutable is no longer searchable, just a normal fixed
            module. The flag can only be set once (fixing is irreversible).
        """
        return self._is_fixed

    @is_fixed.setter
    def is_fixed(self, is_fixed: bool) -> None:
        if not isinstance(is_fixed, bool):
            raise TypeError('is_fixed must be a bool, got '
                            f'{type(is_fixed).__name__}')
        if self._is_fixed:
            raise AttributeError(
                f'The mode of {type(self).__name__} is already `fixed`; '
                'fixing is irreversible, do not set `is_fixed` again.')
        self._is_fixed = is_fixed

    @abstractmethod
    def fix_chosen(self, chosen: CHOSEN_TYPE) -> None:
        """Fix the mutable to ``chosen`` (irreversible).

        After this call :attr:`is_fixed` is True and only the selected
        operations are retained.

        Args:
            chosen: The chosen value (see :meth:`dump_chosen`).
        """

    @abstractmethod
    def dump_chosen(self) -> DumpChosen:
        """Save the current state of the mutable.

        Returns:
            DumpChosen: ``chosen`` is what :meth:`fix_chosen` accepts,
            ``meta`` holds non-essential information (e.g. all choices).
        """

    def export_chosen(self) -> DumpChosen:
        """Alias of :meth:`dump_chosen` (kept for compatibility).

        Returns:
            DumpChosen: The dumped chosen.
        """
        return self.dump_chosen()

    @property
    @abstractmethod
    def num_choices(self) -> int:
        """int: Number of available choices."""
