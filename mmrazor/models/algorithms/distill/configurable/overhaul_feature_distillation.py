# Copyright (c) OpenMMLab. All rights reserved.
from mmrazor.registry import MODELS
from ....distillers import OFDDistiller
from .single_teacher_distill import SingleTeacherDistill


@MODELS.register_module()
class OverhaulFeatureDistillation(SingleTeacherDistill):
    """Overhaul Feature Distillation (OFD): a
    :class:`SingleTeacherDistill` with an :class:`OFDDistiller` whose
    teacher margins are initialised from the (loaded) teacher's BN
    statistics.

    Args: see :class:`SingleTeacherDistill`.
    """

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        if not isinstance(self.distiller, OFDDistiller):
            raise TypeError('OverhaulFeatureDistillation needs an '
                            'OFDDistiller, but got '
                            f'{type(self.distiller).__name__}')
        self.distiller.init_ofd_connectors(self.teacher)
