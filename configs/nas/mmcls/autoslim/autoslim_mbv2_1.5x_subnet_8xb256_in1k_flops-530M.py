_base_ = 'autoslim_mbv2_1.5x_slimmable_subnet_8xb256_in1k.py'

# subnet 2 of MBV2_slimmable_config.json: 530 MFLOPs
model = dict(deploy_index=2)
