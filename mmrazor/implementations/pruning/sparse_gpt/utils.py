# Copyright (c) OpenMMLab. All rights reserved.
"""Helpers shared by the SparseGPT and GPTQ compressors."""
import contextlib
import functools
import logging
from typing import (Callable, Dict, Iterator, List, Optional, Sequence, Type,
                    Union)

import torch
import torch.nn as nn

from mmrazor.utils import print_log


def _get_parent(model: nn.Module, name: str):
    names = name.split('.')
    parent = model
    for n in names[:-1]:
        parent = getattr(parent, n)
    return parent, names[-1]


def replace_with_dynamic_ops(
        model: nn.Module,
        dynamic_op_map: Dict[Type[nn.Module], Callable],
        skipped_layers: Sequence[str] = (),
        op_filter: Optional[Callable[[str, nn.Module],
                                     bool]] = None) -> List[str]:
    """Replace the layers of ``model`` whose exact type is a key of
    ``dynamic_op_map`` with ``dynamic_op_map[type].convert_from(layer)``.

    Parameters are shared, not copied. The new layers get ``layer_name``
    (their ``named_modules`` path) so that errors name them.

    Args:
        model (nn.Module): The model, modified in place.
        dynamic_op_map (dict): ``{nn.Linear: SparseGptLinear, ...}``.
        skipped_layers (Sequence[str]): Module paths to leave alone.
        op_filter (Callable, optional): ``op_filter(name, module)`` returns
            False for layers to leave alone.

    Returns:
        list[str]: The replaced module paths.
    """
    replaced = []
    skipped = set(skipped_layers)
    for name, module in list(model.named_modules()):
        if name in skipped or type(module) not in dynamic_op_map:
            continue
        if op_filter is not None and not op_filter(name, module):
            continue
        new = dynamic_op_map[type(module)].convert_from(module)
        new.train(module.training)
        new.layer_name = name
        if name == '':
            raise ValueError('replace_with_dynamic_ops: the model itself is '
                             f'a {type(module).__name__}; wrap it in a '
                             'container module first.')
        parent, attr = _get_parent(model, name)
        setattr(parent, attr, new)
        replaced.append(name)
    return replaced


def to_static_layers(model: nn.Module, op_types: tuple) -> nn.Module:
    """Replace every layer of one of ``op_types`` by ``layer.to_static()``
    (in place; the model is returned)."""
    for name, module in list(model.named_modules()):
        if isinstance(module, op_types):
            new = module.to_static()
            new.train(module.training)
            if name == '':
                return new
            parent, attr = _get_parent(model, name)
            setattr(parent, attr, new)
    return model


@contextlib.contextmanager
def memory_efficient_forward(model: nn.Module,
                             wrap_modules: Sequence[Union[str,
                                                          Type[nn.Module]]] = (
                                                          ),
                             device: Optional[Union[str, torch.device]] = None,
                             out_device: Union[str, torch.device] = 'cpu',
                             enabled: bool = True) -> Iterator[nn.Module]:
    """Run ``model`` with one wrapped block on the compute device at a
    time.

    Inside the context each wrapped module moves itself and its inputs to
    ``device`` when it is called, runs, moves its outputs to
    ``out_device`` and itself back where it was. The rest of the model
    runs where it lives. With a model kept on the CPU and its decoder
    layers wrapped, only one layer's weights (plus activations) occupy the
    accelerator at any moment.

    Args:
        model (nn.Module): The model.
        wrap_modules (Sequence[str | type]): Module classes or
            ``named_modules`` paths to wrap. Nested matches are wrapped at
            the outermost match only.
        device (str | torch.device, optional): The compute device. Defaults
            to ``'cuda'`` when available, else ``'cpu'``.
        out_device (str | torch.device): Where outputs are returned.
        enabled (bool): If False the context does nothing.

    Yields:
        nn.Module: The model.
    """
    if not enabled:
        yield model
        return
    if device is None:
        device = 'cuda' if torch.cuda.is_available() else 'cpu'
    device = torch.device(device)
    out_device = torch.device(out_device)
    classes = tuple(w for w in wrap_modules if isinstance(w, type))
    names = {w for w in wrap_modules if isinstance(w, str)}
    known = {n for n, _ in model.named_modules()}
    missing = sorted(names - known)
    if missing:
        raise KeyError(f'memory_efficient_forward: no modules named '
                       f'{missing} in {type(model).__name__}.')

    targets = []
    for name, module in model.named_modules():
        if name in names or (classes and isinstance(module, classes)):
            if any(name.startswith(t + '.') for t, _ in targets):
                continue
            targets.append((name, module))

    def wrap(module: nn.Module, forward: Callable) -> Callable:

        @functools.wraps(forward)
        def wrapped(*args, **kwargs):
            home = _module_device(module)
            module.to(device)
            try:
                args, kwargs = _move((args, kwargs), device)
                out = forward(*args, **kwargs)
                return _move(out, out_device)
            finally:
                module.to(home)

        return wrapped

    saved = []
    for name, module in targets:
        had_own = 'forward' in module.__dict__
        saved.append((module, had_own, module.__dict__.get('forward')))
        module.forward = wrap(module, module.forward)
    try:
        yield model
    finally:
        for module, had_own, forward in saved:
            if had_own:
                module.forward = forward
            else:
                del module.forward


def _module_device(module: nn.Module) -> torch.device:
    for t in module.parameters():
        return t.device
    for t in module.buffers():
        return t.device
    return torch.device('cpu')


def _move(obj, device: torch.device):
    if isinstance(obj, torch.Tensor):
        return obj.to(device)
    if isinstance(obj, tuple) and hasattr(obj, '_fields'):
        return type(obj)(*(_move(o, device) for o in obj))
    if isinstance(obj, (list, tuple)):
        return type(obj)(_move(o, device) for o in obj)
    if isinstance(obj, dict):
        return type(obj)((k, _move(v, device)) for k, v in obj.items())
    return obj


@contextlib.contextmanager
def torch_setting(
        dtype: Optional[torch.dtype] = None,
        device: Optional[Union[str, torch.device]] = None) -> Iterator[None]:
    """Temporarily set torch's default dtype and/or device (e.g. to build
    a large model directly in half precision on the accelerator).

    Args:
        dtype (torch.dtype, optional): Default floating dtype.
        device (str | torch.device, optional): Default device.
    """
    old_dtype = torch.get_default_dtype()
    old_device = torch.get_default_device()
    try:
        if dtype is not None:
            torch.set_default_dtype(dtype)
        if device is not None:
            torch.set_default_device(device)
        yield
    finally:
        torch.set_default_dtype(old_dtype)
        torch.set_default_device(old_device)


def is_weight_sparse_24(weight: torch.Tensor, dim: int = -1) -> bool:
    """Whether every group of 4 consecutive weights along ``dim`` (the
    input dimension by default) has at least 2 zeros.

    Args:
        weight (Tensor): A weight (e.g. ``out x in``).
        dim (int): The dimension grouped by fours.

    Returns:
        bool: False also when the size of ``dim`` is not a multiple of 4.
    """
    w = weight.detach().movedim(dim, -1)
    if w.shape[-1] % 4 != 0:
        return False
    groups = w.reshape(-1, 4)
    return bool(((groups == 0).sum(-1) >= 2).all())


def log_progress(name: str, index: int, total: int, info: str = '') -> None:
    """One line of per-layer progress: ``[i/total] name info``."""
    width = 20
    done = int(width * index / max(total, 1))
    bar = '#' * done + '.' * (width - done)
    print_log(f'[{bar}] {index}/{total} {name} {info}'.rstrip(), 'current')


def warn_grouped_convs(model: nn.Module, enabled: bool, who: str) -> None:
    """Warn about the grouped convolutions a compressor leaves alone."""
    if not enabled:
        return
    grouped = [
        n for n, m in model.named_modules()
        if type(m) is nn.Conv2d and m.groups != 1
    ]
    if grouped:
        print_log(
            f'{who}: grouped convolutions are not compressed (one Hessian '
            f'per layer needs groups=1): {grouped}', 'current',
            logging.WARNING)
