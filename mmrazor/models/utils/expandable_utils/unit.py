# Copyright (c) OpenMMLab. All rights reserved.
"""A channel unit that can be widened."""
from mmrazor.models.mutables.mutable_channel.units.l1_mutable_channel_unit \
    import L1MutableChannelUnit


class ExpandableUnit(L1MutableChannelUnit):
    """An L1 unit that can also add channels to its ops.

    :meth:`expand` and :meth:`expand_to` only record how many channels to
    add (at the end of each of the unit's channel ranges);
    :func:`expand_static_model` builds the widened ops.

    Args: see :class:`L1MutableChannelUnit`.
    """

    def __init__(self, num_channels: int, *args, **kwargs) -> None:
        super().__init__(num_channels, *args, **kwargs)
        self.expand_num = 0

    @property
    def expanded_channels(self) -> int:
        """Channels after the expansion."""
        return self.num_channels + self.expand_num

    def expand(self, num: int) -> None:
        """Add ``num`` channels.

        Raises:
            ValueError: ``num`` is negative.
        """
        if not isinstance(num, int) or num < 0:
            raise ValueError(f'unit {self.name}: can only add a '
                             f'non-negative number of channels, got {num!r}')
        self.expand_num += num

    def expand_to(self, num: int) -> None:
        """Widen the unit to ``num`` channels.

        Raises:
            ValueError: ``num`` is below the current width.
        """
        if not isinstance(num, int) or num < self.expanded_channels:
            raise ValueError(
                f'unit {self.name}: can not expand {self.expanded_channels} '
                f'channels to {num!r} (only widening is possible)')
        self.expand(num - self.expanded_channels)
