# Copyright (c) OpenMMLab. All rights reserved.
"""Mutators of the MMRazor 1.0 documents: module and value mutators."""
from typing import Any, Dict, List, Optional

from mmrazor.registry import MODELS
from ...mutables.mutable_module import MutableModule, OneShotMutableModule
from ...mutables.mutable_value import OneShotMutableValue
from ..nas_mutator import NasMutator


class ModuleMutator(NasMutator):
    """Base mutator of mutable modules, with integer group keys.

    Args:
        custom_group (list[list[str]], optional): Custom groups of mutable
            names or aliases. ``custom_groups`` is accepted too.
            Defaults to None.
        init_cfg (dict, optional): The config to control the
            initialization. Defaults to None.
    """

    def __init__(self,
                 custom_group: Optional[List[List[str]]] = None,
                 custom_groups: Optional[List[List[str]]] = None,
                 init_cfg: Optional[Dict] = None) -> None:
        if custom_group is not None and custom_groups is not None:
            raise ValueError('Pass only one of custom_group/custom_groups')
        super().__init__(
            custom_groups=custom_group
            if custom_group is not None else custom_groups,
            init_cfg=init_cfg)

    @property
    def mutable_class_type(self) -> tuple:
        """tuple: the managed mutable types."""
        return (MutableModule, )

    def _group_kwargs(self) -> Dict:
        return dict(with_prefix=False)

    def _with_channel_groups(self) -> bool:
        return False


@MODELS.register_module()
class OneShotModuleMutator(ModuleMutator):
    """One-shot module mutator (SPOS, DetNAS).

    It manages every :class:`OneShotMutableModule`; search group keys are
    ints ``0, 1, ...``. ``sample_choices()`` samples the first mutable of
    each group uniformly.
    """

    @property
    def mutable_class_type(self) -> tuple:
        """tuple: the managed mutable types."""
        return (OneShotMutableModule, )

    def sample_choices(self, kind: str = 'random') -> Dict[int, Any]:
        """Sample one choice per search group.

        Args:
            kind (str): Only ``'random'`` is meaningful for candidate ops.

        Returns:
            dict: group id -> choice.
        """
        return super().sample_choices(kind)


@MODELS.register_module()
class ValueMutator(NasMutator):
    """Mutator of :class:`OneShotMutableValue` (integer group keys).

    Args:
        custom_group (list[list[str]], optional): Custom groups of mutable
            names or aliases. Defaults to None.
        init_cfg (dict, optional): The config to control the
            initialization. Defaults to None.
    """

    def __init__(self,
                 custom_group: Optional[List[List[str]]] = None,
                 init_cfg: Optional[Dict] = None) -> None:
        super().__init__(custom_groups=custom_group, init_cfg=init_cfg)

    @property
    def mutable_class_type(self) -> tuple:
        """tuple: the managed mutable types."""
        return (OneShotMutableValue, )

    def _group_kwargs(self) -> Dict:
        return dict(with_prefix=False)

    def _with_channel_groups(self) -> bool:
        return False
