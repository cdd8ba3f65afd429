#############################################################################
"""Group Fisher pruning: the prune step (template).

Copy this file and fill in the arguments below.

_base_ (str): The config of the model to prune (mmcls / mmdet / mmpose
    config path or ``pkg::`` path).
pretrained_path (str): The checkpoint of the trained model.
interval (int): Training iterations between two pruned channels. Make sure
    the target ratio is reached before the training ends.
normalization_type (str): How the channel importance is normalised:
    'flops' (by the FLOPs a channel costs) or 'act' (by the activation
    memory of its feature maps).
lr_ratio (float): Factor on the original learning rate while pruning
    (pruning is unstable with large learning rates: decrease it until the
    loss stays finite).
target_flop_ratio (float): The FLOPs ratio at which the pruned checkpoint
    ``flops_{ratio:.2f}.pth`` is saved (training stops then).
input_shape (tuple): The input shape the FLOPs are counted on.
"""

_base_ = ''
pretrained_path = ''

interval = 10
normalization_type = 'act'
lr_ratio = 0.1

target_flop_ratio = 0.5
input_shape = (1, 3, 224, 224)
##############################################################################

architecture = _base_.model

if hasattr(_base_, 'data_preprocessor'):
    architecture.update({'data_preprocessor': _base_.data_preprocessor})
    data_preprocessor = None

architecture.init_cfg = dict(type='Pretrained', checkpoint=pretrained_path)
architecture['_scope_'] = _base_.default_scope

model = dict(
    _delete_=True,
    _scope_='mmrazor',
    type='GroupFisherAlgorithm',
    architecture=architecture,
    interval=interval,
    mutator=dict(
        type='GroupFisherChannelMutator',
        parse_cfg=dict(type='ChannelAnalyzer', tracer_type='FxTracer'),
        channel_unit_cfg=dict(
            type='GroupFisherChannelUnit',
            default_args=dict(normalization_type=normalization_type, ),
        ),
    ),
)

model_wrapper_cfg = dict(
    type='mmrazor.GroupFisherDDP',
    broadcast_buffers=False,
)

optim_wrapper = dict(
    optimizer=dict(lr=_base_.optim_wrapper.optimizer.lr * lr_ratio))

custom_hooks = getattr(_base_, 'custom_hooks', []) + [
    dict(type='mmrazor.PruningStructureHook'),
    dict(
        type='mmrazor.ResourceInfoHook',
        interval=interval,
        demo_input=dict(
            type='mmrazor.DefaultDemoInput',
            input_shape=input_shape,
        ),
        save_ckpt_thr=[target_flop_ratio],
    ),
]
