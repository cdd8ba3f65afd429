# Step 2 of the digits NAS chain: evolution search on the trained supernet
# under a FLOPs constraint (KFLOPs at 16x16; the space spans ~204-247 K).
#   python tools/train.py configs/nas/mmcls/spos/digits/<this>.py \
#       --cfg-options load_from=<supernet checkpoint>
# Writes search_state.json, search_epoch_{n}.json,
# best_fix_subnet.yaml, subnet_*.pth and
# search_results.png (score vs FLOPs, Pareto front) to the work dir.
_base_ = ['./spos_shufflenet-tiny_supernet_1xb32_digits.py']

train_cfg = dict(
    _delete_=True,
    type='mmrazor.EvolutionSearchLoop',
    dataloader=_base_.val_dataloader,
    evaluator=_base_.val_evaluator,
    max_epochs=4,
    num_candidates=12,
    top_k=4,
    num_mutation=6,
    num_crossover=6,
    mutate_prob=0.2,
    calibrate_sample_num=256,
    constraints_range=dict(flops=(0., 225.)),
    estimator_cfg=dict(
        type='mmrazor.ResourceEstimator',
        input_shape=(1, {{_base_.channels}}, {{_base_.img_size}},
                     {{_base_.img_size}}),
        units=dict(flops='K', params='K', latency='ms')),
    score_key='accuracy/top1')
