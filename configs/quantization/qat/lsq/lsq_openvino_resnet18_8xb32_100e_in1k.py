# LSQ QAT of ResNet-18 for OpenVINO: the 10-epoch recipe run for 100 epochs.
_base_ = ['./lsq_openvino_resnet18_8xb32_10e_in1k.py']

param_scheduler = dict(T_max=100, end=100)
train_cfg = dict(max_epochs=100)
