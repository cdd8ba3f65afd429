# Copyright (c) OpenMMLab. All rights reserved.
"""User-facing quantization configs → torch ``QConfig``.

A ``global_qconfig`` is a dict::

    global_qconfig = dict(
        w_observer=dict(type='mmrazor.PerChannelMinMaxObserver'),
        a_observer=dict(type='mmrazor.MovingAverageMinMaxObserver'),
        w_fake_quant=dict(type='mmrazor.FakeQuantize'),
        a_fake_quant=dict(type='mmrazor.FakeQuantize'),
        w_qscheme=dict(qdtype='qint8', bit=8, is_symmetry=True,
                       is_symmetric_range=True),
        a_qscheme=dict(qdtype='quint8', bit=8, is_symmetry=True,
                       averaging_constant=0.1))

Per-channel quantization is inferred from ``PerChannel`` in the observer
class name. Extra keys of a qscheme are passed to the observer; every
mistake (unknown key, unknown type, wrong dtype, bit out of 1..16, a
keyword the observer does not take, per-channel activations, ...) raises a
``ValueError``/``KeyError`` naming the offending key.
"""
import copy
import inspect
from typing import Any, Dict, Optional, Union

import torch
from mmengine.config import Config

from mmrazor.utils.config_dict import as_config_dict
from .torch_ao import (FakeQuantize, FakeQuantizeBase, MinMaxObserver,
                       ObserverBase, PerChannelMinMaxObserver, QConfig,
                       quiet_ao)

REQUIRED_CONFIG_KEYS = ('w_observer', 'a_observer', 'w_fake_quant',
                        'a_fake_quant', 'w_qscheme', 'a_qscheme')
QDTYPES = {'quint8': torch.quint8, 'qint8': torch.qint8}
QSCHEME_KEYS = ('qdtype', 'bit', 'is_symmetry', 'is_per_channel',
                'is_symmetric_range')


class QSchemeHandler:
    """One quantization scheme (dtype, bit width, symmetry, granularity).

    Args:
        qdtype (str): ``'quint8'`` or ``'qint8'``. Defaults to 'quint8'.
        bit (int): Bit width, 1 to 16. Defaults to 8.
        is_symmetry (bool): Symmetric quantization. Defaults to True.
        is_per_channel (bool): Per-channel (axis 0). Defaults to False.
        is_symmetric_range (bool): For qint8, use ``[-2^(b-1)+1,
            2^(b-1)-1]``. Defaults to False.
        **kwargs: Extra observer keyword arguments (e.g.
            ``averaging_constant``).
    """

    def __init__(self,
                 qdtype: str = 'quint8',
                 bit: int = 8,
                 is_symmetry: bool = True,
                 is_per_channel: bool = False,
                 is_symmetric_range: bool = False,
                 _key: str = 'qscheme',
                 **kwargs) -> None:
        if qdtype not in QDTYPES:
            raise ValueError(f'{_key}.qdtype must be one of '
                             f'{sorted(QDTYPES)}, got {qdtype!r}')
        if isinstance(bit, bool) or not isinstance(bit, int) or \
                not 1 <= bit <= 16:
            raise ValueError(f'{_key}.bit must be an int in [1, 16], got '
                             f'{bit!r}')
        for name, value in (('is_symmetry', is_symmetry), ('is_per_channel',
                                                           is_per_channel),
                            ('is_symmetric_range', is_symmetric_range)):
            if not isinstance(value, bool):
                raise ValueError(f'{_key}.{name} must be a bool, got '
                                 f'{value!r}')
        if is_symmetric_range and qdtype != 'qint8':
            raise ValueError(f'{_key}.is_symmetric_range=True needs '
                             f"qdtype='qint8', got {qdtype!r}")
        if is_symmetric_range and bit == 1:
            raise ValueError(f'{_key}.is_symmetric_range=True needs bit '
                             '>= 2')
        self.qdtype = qdtype
        self.bit = bit
        self.is_symmetry = is_symmetry
        self.is_per_channel = is_per_channel
        self.is_symmetric_range = is_symmetric_range
        self.kwargs = kwargs
        self.key = _key
        if is_per_channel:
            self.torch_qscheme = torch.per_channel_symmetric \
                if is_symmetry else torch.per_channel_affine
        else:
            self.torch_qscheme = torch.per_tensor_symmetric \
                if is_symmetry else torch.per_tensor_affine

    @property
    def dtype(self) -> torch.dtype:
        """The torch quantized dtype (``qint32`` holds ranges of more than
        8 bits)."""
        if self.bit > 8:
            return torch.qint32
        return QDTYPES[self.qdtype]

    @property
    def quant_range(self):
        """``(quant_min, quant_max)`` of this scheme."""
        if self.qdtype == 'quint8':
            return 0, 2**self.bit - 1
        quant_min = -2**(self.bit - 1)
        if self.is_symmetric_range:
            quant_min += 1
        return quant_min, 2**(self.bit - 1) - 1

    def to_observer_params(self) -> Dict[str, Any]:
        """Keyword arguments for a torch observer / fake-quant."""
        quant_min, quant_max = self.quant_range
        params = dict(
            dtype=self.dtype,
            qscheme=self.torch_qscheme,
            reduce_range=False,
            quant_min=quant_min,
            quant_max=quant_max)
        if self.is_per_channel:
            params['ch_axis'] = 0
        params.update(self.kwargs)
        return params

    def __str__(self) -> str:
        return (f'{type(self).__name__}(qdtype={self.qdtype}, bit='
                f'{self.bit}, is_symmetry={self.is_symmetry}, '
                f'is_per_channel={self.is_per_channel}, is_symmetric_range='
                f'{self.is_symmetric_range}, kwargs={self.kwargs})')


def _resolve_class(cfg: Any, key: str, base: type) -> type:
    from mmrazor.registry import MODELS
    cfg = as_config_dict(cfg)
    if not isinstance(cfg, dict) or 'type' not in cfg:
        raise ValueError(f"{key} must be a dict with a 'type', got {cfg!r}")
    type_ = cfg['type']
    if isinstance(type_, type):
        cls = type_
    else:
        cls = MODELS.get(type_)
        if cls is None:
            import difflib
            MODELS.import_from_location()
            names = [
                n for n, c in MODELS.module_dict.items()
                if isinstance(c, type) and issubclass(c, base)
            ]
            close = difflib.get_close_matches(
                str(type_).split('.')[-1], names, n=3, cutoff=0.6)
            hint = f'; close matches: {", ".join(close)}' if close else \
                f'; expected a registered {base.__name__}'
            raise KeyError(f'{key}: unknown type {type_!r} (not registered '
                           f'in mmrazor MODELS){hint}')
    if not isinstance(cls, type) or not issubclass(cls, base):
        raise ValueError(f'{key}: {type_!r} is not a {base.__name__} '
                         'subclass')
    return cls


def _accepted_kwargs(cls: type) -> Optional[set]:
    """The keyword names ``cls.__init__`` takes; None if it takes any."""
    names = set()
    for klass in cls.__mro__:
        init = klass.__dict__.get('__init__')
        if init is None:
            continue
        params = inspect.signature(init).parameters.values()
        var_kw = False
        for p in params:
            if p.kind == p.VAR_KEYWORD:
                var_kw = True
            elif p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY):
                names.add(p.name)
        if not var_kw:
            return names
    return None


class QConfigHandler:
    """Turn a ``global_qconfig`` dict into a torch ``QConfig``.

    Args:
        qconfig (dict | Config): The user config (see the module docstring).
    """

    def __init__(self, qconfig: Union[Dict, Config]) -> None:
        qconfig = as_config_dict(qconfig)
        if not isinstance(qconfig, dict):
            raise TypeError('global_qconfig must be a dict, got '
                            f'{type(qconfig).__name__}')
        qconfig = copy.deepcopy(dict(qconfig))
        missing = [k for k in REQUIRED_CONFIG_KEYS if k not in qconfig]
        if missing:
            raise KeyError(f'global_qconfig is missing the key(s) {missing};'
                           f' required keys are {list(REQUIRED_CONFIG_KEYS)}')
        unknown = sorted(set(qconfig) - set(REQUIRED_CONFIG_KEYS))
        if unknown:
            raise KeyError(f'global_qconfig has unknown key(s) {unknown}; '
                           f'allowed keys are {list(REQUIRED_CONFIG_KEYS)}')
        self.w_observer_cls = _resolve_class(qconfig['w_observer'],
                                             'w_observer', ObserverBase)
        self.a_observer_cls = _resolve_class(qconfig['a_observer'],
                                             'a_observer', ObserverBase)
        self.w_fake_quant_cls = _resolve_class(qconfig['w_fake_quant'],
                                               'w_fake_quant',
                                               FakeQuantizeBase)
        self.a_fake_quant_cls = _resolve_class(qconfig['a_fake_quant'],
                                               'a_fake_quant',
                                               FakeQuantizeBase)
        self.w_observer_cfg = {
            k: v
            for k, v in qconfig['w_observer'].items() if k != 'type'
        }
        self.a_observer_cfg = {
            k: v
            for k, v in qconfig['a_observer'].items() if k != 'type'
        }
        self.w_fake_quant_cfg = {
            k: v
            for k, v in qconfig['w_fake_quant'].items() if k != 'type'
        }
        self.a_fake_quant_cfg = {
            k: v
            for k, v in qconfig['a_fake_quant'].items() if k != 'type'
        }
        w_per_channel = 'PerChannel' in self.w_observer_cls.__name__
        a_per_channel = 'PerChannel' in self.a_observer_cls.__name__
        if a_per_channel:
            raise ValueError('a_observer: per-channel activation observers '
                             f'({self.a_observer_cls.__name__}) are not '
                             'supported; use a per-tensor observer')
        self.w_qscheme = self._build_qscheme(qconfig['w_qscheme'], 'w_qscheme',
                                             w_per_channel)
        self.a_qscheme = self._build_qscheme(qconfig['a_qscheme'], 'a_qscheme',
                                             a_per_channel)
        self._check_kwargs(self.w_observer_cls, self.w_qscheme,
                           self.w_observer_cfg, 'w')
        self._check_kwargs(self.a_observer_cls, self.a_qscheme,
                           self.a_observer_cfg, 'a')
        # Fail now, not in the middle of prepare.
        self.convert()

    @staticmethod
    def _build_qscheme(cfg: Any, key: str,
                       per_channel: bool) -> QSchemeHandler:
        cfg = as_config_dict(cfg)
        if not isinstance(cfg, dict):
            raise ValueError(f'{key} must be a dict, got {cfg!r}')
        cfg = dict(cfg)
        if 'is_per_channel' in cfg and cfg['is_per_channel'] != per_channel:
            raise ValueError(
                f'{key}.is_per_channel={cfg["is_per_channel"]} disagrees '
                f'with the observer (per-channel is inferred from '
                f"'PerChannel' in the observer name: {per_channel})")
        cfg['is_per_channel'] = per_channel
        return QSchemeHandler(_key=key, **cfg)

    @staticmethod
    def _check_kwargs(observer_cls: type, qscheme: QSchemeHandler,
                      observer_cfg: dict, prefix: str) -> None:
        accepted = _accepted_kwargs(observer_cls)
        if accepted is None:
            return
        for name in list(qscheme.kwargs) + list(observer_cfg):
            if name not in accepted:
                where = f'{prefix}_qscheme' if name in qscheme.kwargs \
                    else f'{prefix}_observer'
                raise ValueError(
                    f'{where}.{name}: {observer_cls.__name__} does not take '
                    f'a {name!r} argument (it takes {sorted(accepted)})')
        if qscheme.is_per_channel and 'ch_axis' not in accepted:
            raise ValueError(f'{prefix}_observer: {observer_cls.__name__} '
                             'is named per-channel but takes no ch_axis')

    def _fake_quant_partial(self, fake_quant_cls: type, observer_cls: type,
                            qscheme: QSchemeHandler, observer_cfg: dict,
                            fake_quant_cfg: dict):
        params = qscheme.to_observer_params()
        params.update(observer_cfg)
        params.update(fake_quant_cfg)
        return fake_quant_cls.with_args(observer=observer_cls, **params)

    @property
    def w_fake_quant(self):
        """Factory of the weight fake-quant."""
        return self._fake_quant_partial(self.w_fake_quant_cls,
                                        self.w_observer_cls, self.w_qscheme,
                                        self.w_observer_cfg,
                                        self.w_fake_quant_cfg)

    @property
    def a_fake_quant(self):
        """Factory of the activation fake-quant."""
        return self._fake_quant_partial(self.a_fake_quant_cls,
                                        self.a_observer_cls, self.a_qscheme,
                                        self.a_observer_cfg,
                                        self.a_fake_quant_cfg)

    def convert(self) -> QConfig:
        """The torch ``QConfig(weight, activation)``.

        Raises:
            ValueError: The fake-quant/observer pair cannot be built with
                these parameters (the message names the key).
        """
        qconfig = QConfig(
            weight=self.w_fake_quant, activation=self.a_fake_quant)
        for key, factory in (('w_fake_quant', qconfig.weight),
                             ('a_fake_quant', qconfig.activation)):
            try:
                with quiet_ao():
                    factory()
            except (TypeError, ValueError, AssertionError, RuntimeError) as e:
                raise ValueError(f'{key}: cannot build it with this '
                                 f'config: {type(e).__name__}: {e}') from e
        return qconfig

    @staticmethod
    def replace_fakequant(fake_quant_org: FakeQuantizeBase,
                          qscheme_org: QSchemeHandler,
                          update_qparams: bool = True) -> FakeQuantize:
        """A plain ``FakeQuantize`` equivalent to ``fake_quant_org``.

        Used for deployment: learnable (LSQ) fake-quants become plain
        min-max ``FakeQuantize`` modules with the same qparams, which the
        ONNX exporter understands.

        Args:
            fake_quant_org (FakeQuantizeBase): The fake-quant to replace.
            qscheme_org (QSchemeHandler): Its scheme.
            update_qparams (bool): Copy scale and zero point.

        Returns:
            FakeQuantize: The replacement (observer disabled).
        """
        observer = PerChannelMinMaxObserver if qscheme_org.is_per_channel \
            else MinMaxObserver
        params = qscheme_org.to_observer_params()
        accepted = _accepted_kwargs(observer) or set()
        params = {k: v for k, v in params.items() if k in accepted}
        with quiet_ao():
            new_fq = FakeQuantize(observer=observer, **params)
        if update_qparams:
            scale, zero_point = fake_quant_org.calculate_qparams()
            device = scale.device
            new_fq.to(device)
            new_fq.scale.resize_(scale.shape).copy_(scale.detach())
            new_fq.zero_point.resize_(zero_point.shape).copy_(
                zero_point.detach().round().to(torch.int32))
        new_fq.disable_observer()
        return new_fq

    def fixed_w_fakequant(self) -> None:
        """Make the weight fake-quant a plain min-max ``FakeQuantize`` of
        the same scheme (for deployment of learnable weights)."""
        observer = PerChannelMinMaxObserver if self.w_qscheme.is_per_channel \
            else MinMaxObserver
        self.w_fake_quant_cls = FakeQuantize
        self.w_observer_cls = observer
        self.w_fake_quant_cfg = {}
        accepted = _accepted_kwargs(observer) or set()
        self.w_observer_cfg = {
            k: v
            for k, v in self.w_observer_cfg.items() if k in accepted
        }
        self.w_qscheme.kwargs = {
            k: v
            for k, v in self.w_qscheme.kwargs.items() if k in accepted
        }
