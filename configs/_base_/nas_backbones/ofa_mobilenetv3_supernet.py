# search space (Once-for-All MobileNetV3: elastic kernel, depth, expand)
arch_setting = dict(
    kernel_size=[  # [min_kernel_size, max_kernel_size, step]
        [3, 3, 1],
        [3, 7, 2],
        [3, 7, 2],
        [3, 7, 2],
        [3, 7, 2],
        [3, 7, 2],
    ],
    num_blocks=[  # [min_num_blocks, max_num_blocks, step]
        [1, 1, 1],
        [2, 4, 1],
        [2, 4, 1],
        [2, 4, 1],
        [2, 4, 1],
        [2, 4, 1],
    ],
    expand_ratio=[  # [min_expand_ratio, max_expand_ratio, step]
        [1, 1, 1],
        [3, 6, 1],
        [3, 6, 1],
        [3, 6, 1],
        [3, 6, 1],
        [3, 6, 1],
        [6, 6, 1],  # last layer
    ],
    num_out_channels=[  # [min_channel, max_channel, step]
        [16, 16, 8],  # first layer
        [16, 16, 8],
        [24, 24, 8],
        [40, 40, 8],
        [80, 80, 8],
        [112, 112, 8],
        [160, 160, 8],
        [1280, 1280, 8],  # last layer
    ])

input_resizer_cfg = dict(
    input_sizes=[[128, 128], [140, 140], [144, 144], [152, 152], [192, 192],
                 [204, 204], [224, 224], [256, 256]])

nas_backbone = dict(
    type='mmrazor.AttentiveMobileNetV3',
    arch_setting=arch_setting,
    out_indices=(6, ),
    stride_list=[1, 2, 2, 2, 1, 2],
    with_se_list=[False, False, True, False, True, True],
    act_cfg_list=[
        'HSwish', 'ReLU', 'ReLU', 'ReLU', 'HSwish', 'HSwish', 'HSwish',
        'HSwish'
    ],
    conv_cfg=dict(type='mmrazor.OFAConv2d'),
    norm_cfg=dict(type='mmrazor.DynamicBatchNorm2d', momentum=0.1),
    fine_grained_mode=True,
    with_attentive_shortcut=False)
