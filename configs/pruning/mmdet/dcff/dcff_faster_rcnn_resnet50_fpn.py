# Faster R-CNN with a ResNet-50 FPN backbone (the architecture that DCFF
# prunes); the BN of the backbone is trained (DCFF fuses its filters).
_base_ = ['mmdet::_base_/models/faster-rcnn_r50_fpn.py']

model = dict(
    backbone=dict(
        frozen_stages=-1,
        norm_cfg=dict(type='BN', requires_grad=True),
        norm_eval=False))
