# Copyright (c) OpenMMLab. All rights reserved.
import copy

import pytest
import torch

from mmrazor.models.mutables import (MutableChannelContainer,
                                     OneShotMutableChannel,
                                     SequentialMutableChannel,
                                     SimpleMutableChannel,
                                     SquentialMutableChannel)


def test_simple_mutable_channel():
    m = SimpleMutableChannel(4)
    assert m.activated_channels == 4
    m.current_choice = torch.tensor([1, 0, 1, 0], dtype=torch.bool)
    assert m.activated_channels == 2
    assert m.dump_chosen().chosen == 2
    assert m.dump_chosen().meta == dict(max_channels=4)
    assert 'mask' in m.state_dict()
    with pytest.raises(ValueError):
        m.current_choice = torch.ones(3, dtype=torch.bool)
    expanded = m.expand_mutable_channel(2)
    assert expanded.current_mask.tolist() == [1, 1, 0, 0, 1, 1, 0, 0]
    assert expanded.current_choice == 4
    m.fix_chosen()
    assert m.is_fixed


def test_sequential_mutable_channel():
    assert SequentialMutableChannel is SquentialMutableChannel
    m = SquentialMutableChannel(8)
    m.current_choice = 3
    assert m.current_mask.tolist() == [1, 1, 1, 0, 0, 0, 0, 0]
    m.current_choice = 0.5  # float means ratio
    assert m.current_choice == 4
    r = SquentialMutableChannel(8, choice_mode='ratio')
    r.current_choice = 0.25
    assert r.current_choice == 0.25
    with pytest.raises(ValueError):
        m.current_choice = 9
    with pytest.raises(ValueError, match='choice_mode'):
        SquentialMutableChannel(8, choice_mode='bad')
    derived = m * 2
    assert derived.current_choice == 8
    m.current_choice = 2
    assert derived.current_choice == 4
    div = m // 2
    assert div.current_choice == 8  # make_divisible(1, 8) == 8
    copied = copy.deepcopy(m)
    assert copied.current_choice == 2


def test_oneshot_mutable_channel():
    m = OneShotMutableChannel(8, candidate_choices=[2, 4, 8])
    assert m.current_choice == 8 and m.max_choice == 8
    assert m.min_choice == 2 and m.num_choices == 3
    assert m.sample_choice() in [2, 4, 8]


def test_container_fills_unregistered_ranges():
    c = MutableChannelContainer(10)
    a = SimpleMutableChannel(4)
    a.current_choice = torch.tensor([1, 0, 0, 1], dtype=torch.bool)
    c.register_mutable(a, 2, 6)
    mask = c.current_mask
    assert mask.tolist() == [1, 1, 1, 0, 0, 1, 1, 1, 1, 1]
    with pytest.raises(RuntimeError):
        c.current_choice = mask
    with pytest.raises(ValueError, match='does not fit'):
        c.register_mutable(SimpleMutableChannel(3), 0, 2)
