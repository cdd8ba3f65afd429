_base_ = 'autoformer_supernet_32xb256_in1k.py'

model = dict(
    _delete_=True,
    _scope_='mmrazor',
    type='sub_model',
    cfg=_base_.supernet,
    # NOTE: You can replace the yaml with the mutable_cfg searched by
    # yourself (the best_fix_subnet.yaml written by the search).
    fix_subnet='{{ fileDirname }}/AUTOFORMER_SUBNET_B.yaml',
    # With `init_weight_from_supernet=True` the supernet is initialised
    # from the checkpoint below before being sliced to the subnet; with
    # False the checkpoint must hold the subnet weights.
    init_weight_from_supernet=True,
    init_cfg=dict(
        type='Pretrained',
        checkpoint=  # noqa: E251
        'https://download.openmmlab.com/mmrazor/v1/autoformer/autoformer_supernet_32xb256_in1k_20220919_110144-c658ce8f.pth',  # noqa: E501
        prefix='architecture.'))

find_unused_parameters = False
