#!/usr/bin/env bash
# Group Fisher on RTMPose-s (needs mmpose): prune -> finetune -> deploy test (8 GPUs).
set -e
D=configs/pruning/mmpose/group_fisher
bash tools/dist_train.sh $D/group_fisher_prune_rtmpose-s_8xb256-420e_coco-256x192.py 8 --work-dir work_dirs/group_fisher_prune_rtmpose-s_8xb256-420e_coco-256x192
bash tools/dist_train.sh $D/group_fisher_finetune_rtmpose-s_8xb256-420e_coco-256x192.py 8 --work-dir work_dirs/group_fisher_finetune_rtmpose-s_8xb256-420e_coco-256x192
bash tools/dist_test.sh $D/group_fisher_deploy_rtmpose-s_8xb256-420e_coco-256x192.py work_dirs/group_fisher_finetune_rtmpose-s_8xb256-420e_coco-256x192/latest.pth 8
bash tools/dist_train.sh $D/group_fisher_prune_rtmpose-s_8xb256-420e_aic-coco-256x192.py 8 --work-dir work_dirs/group_fisher_prune_rtmpose-s_8xb256-420e_aic-coco-256x192
bash tools/dist_train.sh $D/group_fisher_finetune_rtmpose-s_8xb256-420e_aic-coco-256x192.py 8 --work-dir work_dirs/group_fisher_finetune_rtmpose-s_8xb256-420e_aic-coco-256x192
bash tools/dist_test.sh $D/group_fisher_deploy_rtmpose-s_8xb256-420e_aic-coco-256x192.py work_dirs/group_fisher_finetune_rtmpose-s_8xb256-420e_aic-coco-256x192/latest.pth 8
