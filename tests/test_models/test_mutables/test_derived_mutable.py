# Copyright (c) OpenMMLab. All rights reserved.
import copy

import pytest
import torch
import torch.nn as nn

from mmrazor.models.mutables import (BaseMutable, DerivedMethodMixin,
                                     DerivedMutable, MutableValue,
                                     OneShotMutableValue)
from mmrazor.utils.typing import DumpChosen


class ToyChannel(BaseMutable, DerivedMethodMixin):
    """A minimal channel mutable (number of leftmost channels)."""

    def __init__(self, num_channels):
        super().__init__()
        self.num_channels = num_channels
        self._choice = num_channels

    @property
    def current_choice(self):
        return self._choice

    @current_choice.setter
    def current_choice(self, choice):
        self._choice = choice

    @property
    def current_mask(self):
        mask = torch.zeros(self.num_channels, dtype=torch.bool)
        mask[:self._choice] = True
        return mask

    @property
    def choices(self):
        return list(range(1, self.num_channels + 1))

    def fix_chosen(self, chosen):
        self.current_choice = chosen
        self.is_fixed = True

    def dump_chosen(self):
        return DumpChosen(self._choice, dict(max_channels=self.num_channels))

    @property
    def num_choices(self):
        return self.num_channels


def test_base_mutable_is_abstract_and_is_fixed_once():
    with pytest.raises(TypeError):
        BaseMutable()
    ch = ToyChannel(4)
    assert ch.alias is None and not ch.is_fixed
    ch.fix_chosen(2)
    assert ch.is_fixed
    with pytest.raises(AttributeError, match='irreversible'):
        ch.is_fixed = True
    with pytest.raises(TypeError, match='alias'):
        MutableValue([1, 2], alias=3)


def test_expand_divide_same_follow_source_value():
    value = OneShotMutableValue([2, 4, 8])
    same = value.derive_same_mutable()
    expand = value * 3
    divide = value // (2, 1)
    value.current_choice = 4
    assert (same.current_choice, expand.current_choice,
            divide.current_choice) == (4, 12, 2)
    assert expand.source_mutables == {value}
    assert expand.num_choices == 1
    assert expand.choices == [6, 12, 24]
    assert value.current_choice == 4  # restored after enumerating
    with pytest.raises(RuntimeError, match='not legal'):
        expand.current_choice = 3
    with pytest.raises(RuntimeError, match='no mask'):
        expand.current_mask


def test_channel_expand_mask_and_repr():
    ch = ToyChannel(3)
    derived = ch.derive_expand_mutable(2)
    ch.current_choice = 2
    assert derived.current_choice == 4
    assert derived.current_mask.tolist() == [True] * 4 + [False] * 2
    assert 'current_choice=4, activated_channels=4' in repr(derived)


def test_expand_by_mutable_ratio_and_concat():
    ch1, ch2 = ToyChannel(4), ToyChannel(2)
    ratio = OneShotMutableValue([1, 2, 3])
    expand = ch1.derive_expand_mutable(ratio)
    ch1.current_choice = 2
    ratio.current_choice = 2
    assert expand.current_choice == 4
    # mask sized to num_channels * max ratio
    assert expand.current_mask.numel() == 12
    assert expand.source_mutables == {ch1, ratio}

    concat = DerivedMethodMixin.derive_concat_mutable([ch1, ch2])
    ch2.current_choice = 1
    assert concat.current_choice == 3
    assert concat.current_mask.tolist() == [1, 1, 0, 0, 1, 0]
    assert concat.source_mutables == {ch1, ch2}
    # a derived of a derived traces back to the sources
    nested = concat * 2
    assert nested.source_mutables == {ch1, ch2}
    assert nested.current_choice == 6

    with pytest.raises(RuntimeError, match='all or none'):
        DerivedMethodMixin.derive_concat_mutable([ch1, ratio])


def test_is_fixed_depends_on_sources_and_fix_warns():
    v1, v2 = OneShotMutableValue([1, 2]), OneShotMutableValue([3, 4])
    derived = DerivedMutable(lambda: v1.current_choice + v2.current_choice)
    assert derived.source_mutables == {v1, v2}
    assert derived.current_choice == 6
    v1.fix_chosen(1)
    assert not derived.is_fixed
    v2.fix_chosen(3)
    assert derived.is_fixed
    with pytest.warns(UserWarning, match='no effect'):
        derived.fix_chosen(4)
    with pytest.raises(RuntimeError):
        derived.is_fixed = True
    assert derived.dump_chosen().chosen == 4


def test_no_source_raises_and_explicit_sources():
    with pytest.raises(RuntimeError, match='source_mutables'):
        DerivedMutable(lambda: 3)
    v = OneShotMutableValue([1, 2])
    d = DerivedMutable(lambda: 3, source_mutables=[v])
    assert d.source_mutables == {v}
    with pytest.raises(ValueError, match='source mutables'):
        DerivedMutable(lambda: 3, source_mutables=[v * 2])


def test_deepcopy_rebinds_closures():
    net = nn.Module()
    net.value = OneShotMutableValue([2, 4])
    net.derived = net.value * 2
    copied = copy.deepcopy(net)
    copied.value.current_choice = 2
    assert copied.derived.current_choice == 4
    assert net.derived.current_choice == 8
    assert copied.derived.source_mutables == {copied.value}
