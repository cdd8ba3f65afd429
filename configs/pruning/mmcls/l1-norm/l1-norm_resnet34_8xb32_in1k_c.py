# L1-norm filter pruning of ResNet-34 (setting C): setting A's recipe and
# units (the first conv of every basic block) with other stage ratios.
# Deploy with l1-norm_resnet34_8xb32_in1k_c_deploy.py.
_base_ = ['./l1-norm_resnet34_8xb32_in1k_a.py']

stage_ratio = dict(layer1=0.5, layer2=0.5, layer3=0.5, layer4=0.5)

# the config template of `tools/pruning/get_channel_units.py --choice`
target_pruning_ratio = {
    name: stage_ratio[name.split('.')[1]]
    for name in _base_.target_pruning_ratio
}

model = dict(target_pruning_ratio=target_pruning_ratio)
