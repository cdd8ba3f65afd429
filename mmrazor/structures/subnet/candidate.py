# Copyright (c) OpenMMLab. All rights reserved.
"""The candidate pool of the evolution search."""
import ast
from collections import UserList
from typing import Any, Dict, List, Optional, Union

_INDICATORS = ('score', 'flops', 'params', 'latency')


class Candidates(UserList):
    """The data structure of sampled candidates.

    Each item is ``{str(subnet_dict): {'score', 'flops', 'params',
    'latency'}}``; a bare subnet dict is wrapped with zero values.

    Args:
        initdata (dict | list, optional): A subnet, an item, or a list of
            them. Defaults to None.

    Examples:
        >>> candidates = Candidates()
        >>> subnet_1 = {'1': 'choice1', '2': 'choice2'}
        >>> candidates.append(subnet_1)
        >>> candidates
        [{"{'1': 'choice1', '2': 'choice2'}": {'score': 0.0, 'flops': 0.0, 'params': 0.0, 'latency': 0.0}}]
        >>> candidates.set_resource(0, 49.9, 'flops')
        >>> candidates.set_score(0, 100.)
        >>> candidates.scores, candidates.resources('flops')
        ([100.0], [49.9])
        >>> candidates.append({'choice_3': 'layer_3'})
        >>> candidates.subnets
        [{'1': 'choice1', '2': 'choice2'}, {'choice_3': 'layer_3'}]
        >>> candidates.sort_by('flops', reverse=False)
        >>> candidates.resources('flops')
        [0.0, 49.9]
    """  # noqa: E501

    _indicators = _INDICATORS

    def __init__(self,
                 initdata: Optional[Union[Dict, List[Dict]]] = None) -> None:
        self.data: List[Dict[str, Dict]] = []
        if initdata is None:
            return
        self.extend(initdata)

    @classmethod
    def _format(cls, item: Dict) -> Dict[str, Dict]:
        """Turn a subnet or an item into an item."""
        if not isinstance(item, dict):
            raise TypeError('A candidate must be a subnet dict or '
                            f'{{str(subnet): {{...}}}}, got {item!r}')
        if len(item) == 1:
            (key, value), = item.items()
            if isinstance(key, str) and isinstance(value, dict) and \
                    set(value) & set(_INDICATORS) and _is_subnet_str(key):
                info = {k: 0.0 for k in _INDICATORS}
                info.update(value)
                return {key: info}
        return {str(item): {k: 0.0 for k in _INDICATORS}}

    def _format_many(self, items: Any) -> List[Dict[str, Dict]]:
        if isinstance(items, dict):
            # a dict of items ({subnet_str: info, ...}) or one subnet
            if items and all(
                    isinstance(k, str) and isinstance(v, dict) and set(v)
                    & set(_INDICATORS) and _is_subnet_str(k)
                    for k, v in items.items()):
                return [self._format({k: v}) for k, v in items.items()]
            return [self._format(items)]
        if isinstance(items, (list, tuple, UserList)):
            out = []
            for item in items:
                out.extend(self._format_many(item))
            return out
        raise TypeError(f'Unsupported candidate type {type(items).__name__}')

    def append(self, item: Union[Dict, List[Dict]]) -> None:
        """Append one (or a list of) subnet(s) or item(s)."""
        self.data.extend(self._format_many(item))

    def insert(self, i: int, item: Union[Dict, List[Dict]]) -> None:
        """Insert one (or a list of) subnet(s) or item(s) at ``i``."""
        for offset, formatted in enumerate(self._format_many(item)):
            self.data.insert(i + offset, formatted)

    def extend(self, other: Any) -> None:
        """Extend with subnets, items or another ``Candidates``."""
        self.data.extend(self._format_many(other))

    @property
    def scores(self) -> List[float]:
        """List[float]: The scores of the candidates (2 decimals)."""
        return [round(self._info(i)['score'], 2) for i in range(len(self))]

    def resources(self, key_indicator: str = 'flops') -> List[float]:
        """The resources of candidates.

        Args:
            key_indicator (str): ``flops``, ``params`` or ``latency``.

        Returns:
            List[float]: One value per candidate.
        """
        self._check_key(key_indicator)
        return [self._info(i)[key_indicator] for i in range(len(self))]

    @property
    def subnets(self) -> List[Dict]:
        """List[dict]: The subnets of the candidates."""
        subnets = []
        for item in self.data:
            (key, info), = item.items()
            if 'value_subnet' in info or 'channel_subnet' in info:
                subnet = dict(info.get('value_subnet', {}))
                subnet.update(info.get('channel_subnet', {}))
                subnets.append(subnet)
            else:
                subnets.append(subnet_from_str(key))
        return subnets

    def set_score(self, i: int, score: float) -> None:
        """Set the score of candidate ``i``."""
        self._info(i)['score'] = score

    def set_resource(self,
                     i: int,
                     resources: float,
                     key_indicator: str = 'flops') -> None:
        """Set one resource of candidate ``i``."""
        self._check_key(key_indicator)
        self._info(i)[key_indicator] = resources

    def update_resources(self, resources: List[Dict], start: int = 0) -> None:
        """Update resources of candidates ``start``, ``start + 1``, ...

        Args:
            resources (list[dict]): e.g. ``[{'flops': 1., 'params': 2.}]``.
            start (int): Index of the first candidate. Defaults to 0.
        """
        for offset, resource in enumerate(resources):
            for key, value in resource.items():
                self._check_key(key)
                self._info(start + offset)[key] = value

    def sort_by(self,
                key_indicator: str = 'score',
                reverse: bool = True) -> None:
        """Sort by an indicator (descending by default)."""
        self._check_key(key_indicator)
        self.data.sort(
            key=lambda item: list(item.values())[0][key_indicator],
            reverse=reverse)

    def _info(self, i: int) -> Dict:
        return list(self.data[i].values())[0]

    @staticmethod
    def _check_key(key: str) -> None:
        if key not in _INDICATORS:
            raise KeyError(f'Unknown indicator {key!r}, expected one of '
                           f'{_INDICATORS}')


def subnet_from_str(key: str) -> Dict:
    """Parse ``str(subnet)`` back to the subnet, without executing code.

    Args:
        key (str): A dict literal, e.g. ``"{'op1': 'conv3x3', 'w': 8}"``.

    Returns:
        dict: The subnet.

    Raises:
        ValueError: ``key`` is not a dict literal of plain values.
    """
    try:
        subnet = ast.literal_eval(key)
    except (ValueError, SyntaxError, TypeError, MemoryError,
            RecursionError) as exc:
        raise ValueError(f'Candidate key {key[:200]!r} is not a dict literal '
                         f'of plain choices ({exc})') from exc
    if not isinstance(subnet, dict):
        raise ValueError(f'Candidate key {key[:200]!r} is not a dict literal')
    return subnet


def _is_subnet_str(key: str) -> bool:
    return key.startswith('{') and key.endswith('}')
