# The static ResNet-34 pruned with setting A: the structure comes
# from the fix_subnet.json written by ItePruneValLoop while pruning with
# l1-norm_resnet34_8xb32_in1k_a.py and the weights from its
# fix_subnet_weight.pth (override both with
#   --cfg-options model.fix_subnet=<json> model.init_cfg.checkpoint=<pth>).
_base_ = ['mmcls::resnet/resnet34_8xb32_in1k.py']

architecture = _base_.model
model = dict(
    _delete_=True,
    _scope_='mmrazor',
    type='sub_model',
    cfg=architecture,
    fix_subnet='work_dirs/l1-norm_resnet34_8xb32_in1k_a/fix_subnet.json',
    mode='mutator',
    init_cfg=dict(
        type='Pretrained',
        checkpoint='work_dirs/l1-norm_resnet34_8xb32_in1k_a/'
        'fix_subnet_weight.pth'))
