# Copyright (c) OpenMMLab. All rights reserved.
import torch


def channel_shuffle(x: torch.Tensor, groups: int) -> torch.Tensor:
    """Channel Shuffle operation of ShuffleNet.

    Args:
        x (Tensor): ``(N, C, H, W)`` input.
        groups (int): Number of groups; ``C`` must be divisible by it.

    Returns:
        Tensor: The output with the channels of the groups interleaved.
    """
    batch_size, num_channels, height, width = x.size()
    if num_channels % groups != 0:
        raise ValueError(f'num_channels ({num_channels}) must be divisible '
                         f'by groups ({groups})')
    channels_per_group = num_channels // groups
    x = x.view(batch_size, groups, channels_per_group, height, width)
    x = torch.transpose(x, 1, 2).contiguous()
    return x.view(batch_size, -1, height, width)
