#!/usr/bin/env bash
# Group Fisher on MobileNetV2 on ImageNet: prune -> finetune -> deploy test (8 GPUs).
set -e
D=configs/pruning/mmcls/group_fisher/mobilenet
bash tools/dist_train.sh $D/group_fisher_act_prune_mobilenet-v2_8xb32_in1k.py 8 --work-dir work_dirs/group_fisher_act_prune_mobilenet-v2_8xb32_in1k
bash tools/dist_train.sh $D/group_fisher_act_finetune_mobilenet-v2_8xb32_in1k.py 8 --work-dir work_dirs/group_fisher_act_finetune_mobilenet-v2_8xb32_in1k
bash tools/dist_test.sh $D/group_fisher_act_deploy_mobilenet-v2_8xb32_in1k.py work_dirs/group_fisher_act_finetune_mobilenet-v2_8xb32_in1k/latest.pth 8
bash tools/dist_train.sh $D/group_fisher_flops_prune_mobilenet-v2_8xb32_in1k.py 8 --work-dir work_dirs/group_fisher_flops_prune_mobilenet-v2_8xb32_in1k
bash tools/dist_train.sh $D/group_fisher_flops_finetune_mobilenet-v2_8xb32_in1k.py 8 --work-dir work_dirs/group_fisher_flops_finetune_mobilenet-v2_8xb32_in1k
bash tools/dist_test.sh $D/group_fisher_flops_deploy_mobilenet-v2_8xb32_in1k.py work_dirs/group_fisher_flops_finetune_mobilenet-v2_8xb32_in1k/latest.pth 8
