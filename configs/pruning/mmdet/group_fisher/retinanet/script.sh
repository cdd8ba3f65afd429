#!/usr/bin/env bash
# Group Fisher on RetinaNet-R50-FPN on COCO: prune -> finetune -> deploy test (8 GPUs).
set -e
D=configs/pruning/mmdet/group_fisher/retinanet
bash tools/dist_train.sh $D/group_fisher_act_prune_retinanet_r50_fpn_1x_coco.py 8 --work-dir work_dirs/group_fisher_act_prune_retinanet_r50_fpn_1x_coco
bash tools/dist_train.sh $D/group_fisher_act_finetune_retinanet_r50_fpn_1x_coco.py 8 --work-dir work_dirs/group_fisher_act_finetune_retinanet_r50_fpn_1x_coco
bash tools/dist_test.sh $D/group_fisher_act_deploy_retinanet_r50_fpn_1x_coco.py work_dirs/group_fisher_act_finetune_retinanet_r50_fpn_1x_coco/latest.pth 8
bash tools/dist_train.sh $D/group_fisher_flops_prune_retinanet_r50_fpn_1x_coco.py 8 --work-dir work_dirs/group_fisher_flops_prune_retinanet_r50_fpn_1x_coco
bash tools/dist_train.sh $D/group_fisher_flops_finetune_retinanet_r50_fpn_1x_coco.py 8 --work-dir work_dirs/group_fisher_flops_finetune_retinanet_r50_fpn_1x_coco
bash tools/dist_test.sh $D/group_fisher_flops_deploy_retinanet_r50_fpn_1x_coco.py work_dirs/group_fisher_flops_finetune_retinanet_r50_fpn_1x_coco/latest.pth 8
