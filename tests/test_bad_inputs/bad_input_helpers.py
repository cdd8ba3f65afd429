# Copyright (c) OpenMMLab. All rights reserved.
"""Config paths and checks shared by the bad-input corpus."""
import os
import os.path as osp

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
VANILLA = osp.join(
    REPO, 'configs/vanilla/mmcls/digits/resnet18-w16_1xb32_digits.py')
KD = osp.join(
    REPO, 'configs/distill/mmcls/kd/'
    'kd_logits_resnet18-w16_resnet18-w8_1xb32_digits.py')
L1 = osp.join(
    REPO, 'configs/pruning/mmcls/l1-norm/'
    'l1-norm_resnet18-w16_1xb32_digits.py')
PTQ = osp.join(
    REPO, 'configs/quantization/ptq/base/'
    'ptq_openvino_resnet18-w16_digits_calib8xb32.py')
SPOS = osp.join(
    REPO, 'configs/nas/mmcls/spos/digits/'
    'spos_shufflenet-tiny_supernet_1xb32_digits.py')


def written(directory) -> list:
    """Files (recursively) that could be a partial output."""
    found = []
    for root, _, files in os.walk(str(directory)):
        for f in files:
            if f.endswith(('.pth', '.yaml', '.json', '.onnx', '.tmp', '.png')):
                found.append(osp.join(root, f))
    return found
