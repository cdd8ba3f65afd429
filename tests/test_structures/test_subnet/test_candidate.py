# Copyright (c) OpenMMLab. All rights reserved.
import doctest
import pickle

import pytest

import mmrazor.structures.subnet.candidate as candidate_module
from mmrazor.structures.subnet import Candidates


def test_docstring_examples():
    result = doctest.testmod(candidate_module)
    assert result.failed == 0 and result.attempted > 0


def test_candidates_api():
    subnets = [{
        'module_0': 'a',
        'value_1': 3
    }, {
        'module_0': 'b',
        'value_1': 5
    }]
    cands = Candidates(subnets)
    assert len(cands) == 2 and cands.subnets == subnets
    cands.update_resources([{'flops': 10.0, 'params': 1.0}, {'flops': 20.0}])
    cands.set_score(0, 0.91234)
    cands.set_score(1, 0.95)
    assert cands.scores == [0.91, 0.95]
    assert cands.resources('flops') == [10.0, 20.0]
    cands.sort_by('score')
    assert cands.subnets[0] == subnets[1]
    # items (with values) are kept as they are, missing keys default to 0
    other = Candidates()
    other.extend(cands)
    other.append({str(subnets[0]): {'score': 0.5}})
    assert other.scores == [0.95, 0.91, 0.5]
    assert other.resources('latency') == [0.0, 0.0, 0.0]
    other.insert(0, {'module_0': 'c', 'value_1': 1})
    assert other.subnets[0] == {'module_0': 'c', 'value_1': 1}
    with pytest.raises(KeyError, match='indicator'):
        other.resources('acc')
    with pytest.raises(TypeError):
        other.append(3)
    restored = pickle.loads(pickle.dumps(other))
    assert restored.subnets == other.subnets
