# CWD (FPN, RetinaNet) with the FPN features of student and teacher drawn
# by RazorVisualizationHook (enable it to draw; needs the hook from the
# visualization module).
_base_ = ['./cwd_fpn_retina_r101_retina_r50_1x_coco.py']

default_hooks = dict(
    checkpoint=dict(type='CheckpointHook', interval=-1),
    visualization=dict(
        _scope_='mmrazor',
        type='RazorVisualizationHook',
        enabled=True,
        recorders=dict(
            # teacher and student FPN outputs
            s_neck=dict(_scope_='mmrazor', type='ModuleOutputs',
                        source='architecture.neck'),
            t_neck=dict(_scope_='mmrazor', type='ModuleOutputs',
                        source='teacher.neck')),
        mappings=dict(
            s_p3=dict(recorder='s_neck', data_idx=0),
            t_p3=dict(recorder='t_neck', data_idx=0)),
        out_dir='razor_vis'))
