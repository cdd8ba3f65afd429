# W8A8 PTQ of the vanilla digits ResNet-18 (16 base channels) for the
# OpenVINO backend: per-channel symmetric int8 weights, per-tensor uint8
# activations, 8 calibration batches of 32 training images.
#   python tools/ptq.py configs/quantization/ptq/base/<this>.py \
#       --cfg-options model.float_checkpoint=<vanilla checkpoint>
_base_ = ['../../../vanilla/mmcls/digits/resnet18-w16_1xb32_digits.py']

calibrate_dataloader = dict(
    batch_size=32,
    num_workers=0,
    dataset=dict(
        type='mmrazor.DigitsDataset',
        split='train',
        img_size=16,
        channels=1,
        pipeline=[dict(type='mmcls.PackClsInputs')]),
    sampler=dict(type='DefaultSampler', shuffle=False),
)

test_cfg = dict(
    type='mmrazor.PTQLoop',
    calibrate_dataloader=calibrate_dataloader,
    calibrate_steps=8,
)

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

# the checkpoint written by tools/train.py on the vanilla config
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

model_wrapper_cfg = dict(type='mmrazor.MMArchitectureQuantDDP', )
