# Step 2 of the digits AutoSlim chain: greedy slimming of the trained
# supernet to each FLOPs target (MFLOPs at 16x16; the widest subnet has
# 8.80, the narrowest 0.58), scored on the validation split
# with batch statistics (norm_training).
#   python tools/test.py configs/nas/mmcls/autoslim/digits/<this>.py \
#       work_dirs/autoslim_digits/epoch_16.pth \
#       --work-dir work_dirs/autoslim_digits_search
# Writes FLOPS_{target}M.yaml per target, slimmable_config.json (the found
# subnets as slimmable units) and latest.json (the search state; resume
# with --cfg-options test_cfg.resume_from=<work_dir>/latest.json).
_base_ = ['./autoslim_resnet18-w16_supernet_1xb32_digits.py']

model = dict(norm_training=True)

train_cfg = None
optim_wrapper = None
param_scheduler = None
train_dataloader = None

test_cfg = dict(
    _delete_=True,
    type='mmrazor.AutoSlimGreedySearchLoop',
    dataloader=_base_.search_dataloader,
    evaluator=_base_.search_evaluator,
    target_flops=(6., 4.),
    estimator_cfg=dict(
        type='mmrazor.ResourceEstimator',
        input_shape=(1, {{_base_.channels}}, {{_base_.img_size}},
                     {{_base_.img_size}}),
        units=dict(flops='M', params='M')))
