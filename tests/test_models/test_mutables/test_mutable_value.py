# Copyright (c) OpenMMLab. All rights reserved.
import pytest

from mmrazor.models.mutables import MutableValue, OneShotMutableValue
from mmrazor.registry import MODELS


def test_mutable_value():
    value = MutableValue([3, 5, 7])
    assert value.current_choice == 3 and value.num_choices == 3
    assert value.mutable_prefix == 'value'
    with pytest.raises(ValueError, match='Expected choice'):
        value.current_choice = 4
    with pytest.raises(TypeError, match='same type'):
        MutableValue([1, 2.0])
    dumped = value.dump_chosen()
    assert dumped.chosen == 3 and dumped.meta == dict(all_choices=[3, 5, 7])
    with pytest.raises(ValueError, match='not one of'):
        value.fix_chosen(4)
    value.fix_chosen(5)
    assert value.is_fixed and value.choices == [5]
    with pytest.raises(RuntimeError, match='twice'):
        value.fix_chosen(5)


def test_one_shot_mutable_value_built_from_registry():
    value = MODELS.build(
        dict(type='OneShotMutableValue', value_list=[6, 2, 4], alias='k'))
    assert value.choices == [2, 4, 6]
    assert value.current_choice == 6
    assert (value.min_choice, value.max_choice) == (2, 6)
    assert value.alias == 'k'
    seen = {value.sample_choice() for _ in range(60)}
    assert seen == {2, 4, 6}
    derived = 2 * value
    value.current_choice = 4
    assert derived.current_choice == 8
    assert (value // 2).current_choice == 8  # make_divisible(2, 8) == 8
    with pytest.raises(TypeError):
        value * 'x'
