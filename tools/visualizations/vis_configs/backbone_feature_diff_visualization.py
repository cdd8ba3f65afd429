# The backbone stages p3..p6 of two models (e.g. student and teacher), for
# feature_diff_visualization.py.
recorders1 = dict(
    backbone=dict(_scope_='mmrazor', type='ModuleOutputs', source='backbone'))
mappings1 = dict(
    p3=dict(recorder='backbone', data_idx=0),
    p4=dict(recorder='backbone', data_idx=1),
    p5=dict(recorder='backbone', data_idx=2),
    p6=dict(recorder='backbone', data_idx=3))
recorders2 = recorders1
mappings2 = mappings1
