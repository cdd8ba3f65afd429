# The static pruned digits model: the structure comes from the
# fix_subnet.json written by ItePruneValLoop and the weights from
# fix_subnet_weight.pth (override both with --cfg-options
#   model.fix_subnet=<json> model.init_cfg.checkpoint=<pth>).
_base_ = ['../../../vanilla/mmcls/digits/resnet18-w16_1xb32_digits.py']

architecture = _base_.model
model = dict(
    _delete_=True,
    _scope_='mmrazor',
    type='sub_model',
    cfg=architecture,
    fix_subnet='work_dirs/pruning/fix_subnet.json',
    mode='mutator',
    init_cfg=dict(
        type='Pretrained',
        checkpoint='work_dirs/pruning/fix_subnet_weight.pth'))
