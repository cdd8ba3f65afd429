_base_ = 'autoslim_mbv2_1.5x_slimmable_subnet_8xb256_in1k.py'

# subnet 1 of MBV2_slimmable_config.json: 320 MFLOPs
model = dict(deploy_index=1)
