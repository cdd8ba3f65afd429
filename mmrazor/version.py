# Copyright (c) OpenMMLab. All rights reserved.
__version__ = '1.0.0'


def parse_version_info(version_str: str) -> tuple:
    """Parse a version string into a tuple.

    Args:
        version_str (str): The version string, e.g. ``'1.0.0rc2'``.

    Returns:
        tuple: e.g. ``(1, 0, 0, 'rc2')``.

    Examples:
        >>> parse_version_info('1.0.0rc2')
        (1, 0, 0, 'rc2')
    """
    version_info = []
    for x in version_str.split('.'):
        if x.isdigit():
            version_info.append(int(x))
        elif 'rc' in x:
            patch_version = x.split('rc')
            version_info.append(int(patch_version[0]))
            version_info.append(f'rc{patch_version[1]}')
    return tuple(version_info)


version_info = parse_version_info(__version__)

__all__ = ['__version__', 'version_info', 'parse_version_info']
