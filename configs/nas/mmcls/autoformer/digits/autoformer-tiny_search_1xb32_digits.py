# Step 2 of the digits AutoFormer chain: evolution search on the trained
# supernet under a parameter budget (K params; the space spans ~10-107 K).
#   python tools/train.py configs/nas/mmcls/autoformer/digits/<this>.py \
#       --cfg-options load_from=<supernet checkpoint>
_base_ = ['./autoformer-tiny_supernet_1xb32_digits.py']

train_cfg = dict(
    _delete_=True,
    type='mmrazor.EvolutionSearchLoop',
    dataloader=_base_.val_dataloader,
    evaluator=_base_.val_evaluator,
    max_epochs=3,
    num_candidates=12,
    top_k=4,
    num_mutation=6,
    num_crossover=6,
    mutate_prob=0.2,
    constraints_range=dict(params=(0., 60.)),
    estimator_cfg=dict(
        type='mmrazor.ResourceEstimator',
        input_shape=(1, {{_base_.channels}}, {{_base_.img_size}},
                     {{_base_.img_size}}),
        units=dict(flops='K', params='K', latency='ms')),
    score_key='accuracy/top1')
