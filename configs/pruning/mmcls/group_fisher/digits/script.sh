#!/usr/bin/env bash
# Group Fisher on the digits ResNet: train -> prune -> finetune -> test the
# deployed static model (CPU, a few minutes).
set -e
D=configs/pruning/mmcls/group_fisher/digits
python tools/train.py configs/vanilla/mmcls/digits/resnet18-w16_1xb32_digits.py \
    --work-dir work_dirs/vanilla
python tools/train.py $D/group_fisher_flops_prune_resnet18-w16_1xb32_digits.py \
    --work-dir work_dirs/group_fisher_prune
python tools/train.py $D/group_fisher_flops_finetune_resnet18-w16_1xb32_digits.py \
    --work-dir work_dirs/group_fisher_finetune
python tools/test.py $D/group_fisher_flops_deploy_resnet18-w16_1xb32_digits.py \
    work_dirs/group_fisher_finetune/epoch_15.pth
