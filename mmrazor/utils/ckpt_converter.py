# Copyright (c) OpenMMLab. All rights reserved.
"""Checkpoint reading and writing shared by the checkpoint converters
(``tools/model_converters/convert_*_ckpt.py``)."""
import os.path as osp


def load_source_checkpoint(path: str) -> dict:
    """Load the checkpoint to convert (on CPU, ``weights_only``-safe).

    Args:
        path (str): The checkpoint file.

    Returns:
        dict: The loaded checkpoint.

    Raises:
        FileNotFoundError: ``path`` is not a file.
    """
    if not osp.isfile(path):
        raise FileNotFoundError(f'checkpoint {path!r} does not exist')
    from mmrazor.engine.runner.checkpoint import safe_torch_load
    return safe_torch_load(path, map_location='cpu')


def converted_path(path: str, inplace: bool) -> str:
    """Where a converter writes: ``path`` with ``inplace``, else
    ``<name>_latest.pth`` next to it.

    Args:
        path (str): The input checkpoint.
        inplace (bool): Overwrite the input.

    Returns:
        str: The output path.
    """
    return path if inplace else osp.splitext(path)[0] + '_latest.pth'


def save_checkpoint_atomic(obj: dict, out_path: str) -> None:
    """``torch.save`` through :func:`mmrazor.utils.atomic_write`.

    Args:
        obj (dict): The checkpoint.
        out_path (str): The output file.
    """
    import torch

    from mmrazor.utils.atomic_io import atomic_write
    atomic_write(out_path, lambda tmp: torch.save(obj, tmp))


def save_converted(new_ckpt: dict, out_path: str) -> str:
    """Write a converted checkpoint atomically and say how many tensors
    were saved where.

    Args:
        new_ckpt (dict): The converted checkpoint (with ``state_dict``).
        out_path (str): The output file.

    Returns:
        str: ``out_path``.
    """
    save_checkpoint_atomic(new_ckpt, out_path)
    print(f'saved {len(new_ckpt["state_dict"])} tensors to {out_path}')
    return out_path


def parse_converter_args(description: str, argv=None):
    """Parse the command line of a converter that takes ``checkpoint`` and
    ``--inplace`` (plus the common tool options).

    Args:
        description (str): The ``--help`` description.
        argv (list[str], optional): The arguments; ``sys.argv`` when None.

    Returns:
        argparse.Namespace: The parsed arguments.
    """
    import argparse

    from mmrazor.utils.cli import add_common_args
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument('checkpoint', help='input checkpoint path')
    parser.add_argument(
        '--inplace', action='store_true', help='overwrite the input')
    add_common_args(parser)
    return parser.parse_args(argv)
