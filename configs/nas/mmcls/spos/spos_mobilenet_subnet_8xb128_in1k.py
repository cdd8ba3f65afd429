_base_ = ['./spos_mobilenet_supernet_8xb128_in1k.py']

# No searched MobileNet subnet ships with this repository: pass the
# best_fix_subnet.yaml written by spos_mobilenet_search_8xb128_in1k.py, e.g.
#   --cfg-options model.fix_subnet=work_dirs/<search>/best_fix_subnet.yaml
fix_subnet = 'work_dirs/spos_mobilenet_search_8xb128_in1k/best_fix_subnet.yaml'

model = dict(
    _delete_=True,
    _scope_='mmrazor',
    type='sub_model',
    cfg=_base_.supernet,
    fix_subnet=fix_subnet)

find_unused_parameters = False
