# Record the backbone outputs (a tuple of stage outputs) and draw the
# stages p3..p6 (data_idx 0..3). Use with a backbone that returns four
# stages, e.g. a ResNet with out_indices=(0, 1, 2, 3).
recorders = dict(
    backbone=dict(_scope_='mmrazor', type='ModuleOutputs', source='backbone'))
mappings = dict(
    p3=dict(recorder='backbone', data_idx=0),
    p4=dict(recorder='backbone', data_idx=1),
    p5=dict(recorder='backbone', data_idx=2),
    p6=dict(recorder='backbone', data_idx=3))
