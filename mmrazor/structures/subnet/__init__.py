# Copyright (c) OpenMMLab. All rights reserved.
from .candidate import Candidates
from .fix_subnet import (convert_fix_subnet, dump_fix_subnet,
                         export_fix_subnet, load_fix_subnet)

__all__ = [
    'Candidates', 'convert_fix_subnet', 'dump_fix_subnet', 'export_fix_subnet',
    'load_fix_subnet'
]
