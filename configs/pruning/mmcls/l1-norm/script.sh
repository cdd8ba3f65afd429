#!/usr/bin/env bash
# prune -> deploy for one ResNet-34 setting (a, b or c) on 8 GPUs
set -e
S=${1:-a}
CFG=configs/pruning/mmcls/l1-norm/l1-norm_resnet34_8xb32_in1k_${S}.py
bash tools/dist_train.sh $CFG 8 --work-dir work_dirs/l1-norm_resnet34_8xb32_in1k_${S}
bash tools/dist_test.sh configs/pruning/mmcls/l1-norm/l1-norm_resnet34_8xb32_in1k_${S}_deploy.py none 8
