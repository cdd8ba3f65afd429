# QAT (W8A8, per-channel weights) of the vanilla digits ResNet-18 for the
# OpenVINO backend, starting from the float checkpoint; 3 epochs.
#   python tools/train.py configs/quantization/qat/base/<this>.py \
#       --cfg-options model.float_checkpoint=<vanilla checkpoint>
_base_ = ['../../../vanilla/mmcls/digits/resnet18-w16_1xb32_digits.py']

global_qconfig = dict(
    w_observer=dict(type='mmrazor.PerChannelMinMaxObserver'),
    a_observer=dict(type='mmrazor.MovingAverageMinMaxObserver'),
    w_fake_quant=dict(type='mmrazor.FakeQuantize'),
    a_fake_quant=dict(type='mmrazor.FakeQuantize'),
    w_qscheme=dict(
        qdtype='qint8', bit=8, is_symmetry=True, is_symmetric_range=True),
    a_qscheme=dict(
        qdtype='quint8', bit=8, is_symmetry=False, averaging_constant=0.1),
)

float_checkpoint = 'work_dirs/resnet18-w16_1xb32_digits/epoch_15.pth'

model = dict(
    _delete_=True,
    type='mmrazor.MMArchitectureQuant',
    data_preprocessor=_base_.data_preprocessor,
    architecture=_base_.model,
    float_checkpoint=float_checkpoint,
    input_shapes=(1, 1, 16, 16),
    quantizer=dict(
        type='mmrazor.OpenVINOQuantizer',
        global_qconfig=global_qconfig,
        tracer=dict(
            type='mmrazor.CustomTracer',
            skipped_methods=[
                'mmcls.models.heads.ClsHead._get_loss',
                'mmcls.models.heads.ClsHead._get_predictions'
            ])))

optim_wrapper = dict(
    optimizer=dict(type='SGD', lr=0.002, momentum=0.9, weight_decay=5e-4))
param_scheduler = dict(
    _delete_=True,
    type='CosineAnnealingLR',
    T_max=3,
    by_epoch=True,
    begin=0,
    end=3)

model_wrapper_cfg = dict(
    type='mmrazor.MMArchitectureQuantDDP',
    broadcast_buffers=False,
    find_unused_parameters=True)

train_cfg = dict(
    _delete_=True,
    type='mmrazor.QATEpochBasedLoop',
    max_epochs=3,
    val_interval=3,
    disable_observer_begin=3,
    freeze_bn_begin=2)
val_cfg = dict(_delete_=True, type='mmrazor.QATValLoop')
default_hooks = dict(
    checkpoint=dict(type='CheckpointHook', interval=3, max_keep_ckpts=1),
    sync=dict(type='SyncBuffersHook'))
