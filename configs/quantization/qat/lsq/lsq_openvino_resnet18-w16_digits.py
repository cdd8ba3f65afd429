# LSQ (learned step size, W8A8, per-channel weights) of the vanilla digits
# ResNet-18 for the OpenVINO backend, from the float checkpoint; 3 epochs.
#   python tools/train.py configs/quantization/qat/lsq/<this>.py \
#       --cfg-options model.float_checkpoint=<vanilla checkpoint>
_base_ = ['../base/qat_openvino_resnet18-w16_digits.py']

global_qconfig = dict(
    _delete_=True,  # replace the QAT config's qconfig, do not merge
    w_observer=dict(type='mmrazor.LSQPerChannelObserver'),
    a_observer=dict(type='mmrazor.LSQObserver'),
    w_fake_quant=dict(type='mmrazor.LearnableFakeQuantize'),
    a_fake_quant=dict(type='mmrazor.LearnableFakeQuantize'),
    w_qscheme=dict(
        qdtype='qint8', bit=8, is_symmetry=True, is_symmetric_range=True),
    a_qscheme=dict(qdtype='quint8', bit=8, is_symmetry=True),
)

model = dict(quantizer=dict(global_qconfig=global_qconfig))

train_cfg = dict(
    _delete_=True,
    type='mmrazor.LSQEpochBasedLoop',
    max_epochs=3,
    val_interval=3,
    freeze_bn_begin=2)
