# Copyright (c) OpenMMLab. All rights reserved.
"""SparseGPT and GPTQ against the naive baselines, and GPTQ's lazy batch
update against column-by-column updates.

1. A byte-level decoder-only LM (1.3 M parameters, trained in-process on
   Python standard-library sources and cached, see
   ``projects/mmrazor_large/examples/stdlib_lm``): held-out perplexity of
   fp32, GPTQ vs round-to-nearest (same min-max grid, same bits and
   groups) at 4 and 3 bits, SparseGPT vs magnitude pruning at 50 %
   unstructured and 2:4. The linear layers of the transformer blocks are
   compressed, block by block, from 64 calibration windows of the training
   text.
2. The vanilla digits ResNet (trained through ``tools/train.py``, cached):
   test accuracy of fp32, GPTQ 4-bit (group 128, act-order) and RTN 4-bit
   on every convolution and the head; SparseGPT 50 % and magnitude 50 % on
   the same layers but the stem convolution (one input channel, 9 weights
   per filter). Calibration: the whole training split.
3. GPTQ (4-bit, per channel) of a 1024x1024 linear layer whose Hessian
   comes from real activations (the MLP hidden activations of the LM,
   1024 features of 4096 tokens): ``blocksize=128`` against ``blocksize=1``
   on the same weight and Hessian, runs interleaved after a warm-up,
   medians of ``--repeats``; the codes of both are compared. The time of
   the Cholesky factorization both share is measured too, and the speedup
   of the column sweeps alone printed next to the total.

The last printed line is::

    gptq_vs_rtn_4bit=<ppl GPTQ / ppl RTN>
    sparsegpt_vs_magnitude_50=<ppl SparseGPT / ppl magnitude>

Usage::

    python benchmarks/llm_compression.py [--work-dir DIR] [--threads 1]

With ``--only speed`` only section 3 runs and the last line is
``gptq_blocked_speedup=<wall time blocksize=1 / blocksize=128> cpu=<the
same for the process's CPU time>`` (CPU time is not inflated by other
processes competing for the cores).
"""
import argparse
import copy
import os.path as osp
import statistics
import subprocess
import sys
import time

import numpy as np
import torch

REPO = osp.dirname(osp.dirname(osp.abspath(__file__)))
LM_DIR = osp.join(REPO, 'projects/mmrazor_large/examples/stdlib_lm')
for _p in (REPO, LM_DIR):
    if _p not in sys.path:
        sys.path.insert(0, _p)
DIGITS_CFG = osp.join(
    REPO, 'configs/vanilla/mmcls/digits/resnet18-w16_1xb32_digits.py')


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument(
        '--work-dir',
        default=osp.join(REPO, 'work_dirs/benchmarks/llm_compression'))
    parser.add_argument('--digits-ckpt', help='trained vanilla checkpoint')
    parser.add_argument('--threads', type=int, default=1)
    parser.add_argument('--repeats', type=int, default=3)
    parser.add_argument('--calib-samples', type=int, default=64)
    parser.add_argument(
        '--only',
        choices=['speed'],
        help='run one section alone: "speed" times GPTQ blocksize 128 '
        'against 1 (the LM is loaded from the cache or trained) and skips '
        'the quality tables')
    return parser.parse_args()


# ---------------------------------------------------------------- the LM
def lm_rows(args):
    from compress import compress_lm, magnitude_prune_, rtn_quantize_
    from tiny_lm import (calibration_batches, get_trained_lm, load_data,
                         perplexity)
    train, test = load_data()
    lm = get_trained_lm(args.work_dir, train_data=train)
    calib = calibration_batches(train, lm.context, args.calib_samples)
    ppl_fp = perplexity(lm, test)
    print(f'LM fp32 held-out perplexity {ppl_fp:.3f}', flush=True)

    def run(fn):
        model = copy.deepcopy(lm)
        t0 = time.time()
        fn(model)
        took = time.time() - t0
        return perplexity(model, test), took

    rows = []
    for bits in (4, 3):
        for groupsize in (-1, 128):
            g = 'per-channel' if groupsize == -1 else f'g{groupsize}'
            ppl_g, t_g = run(lambda m: compress_lm(
                m,
                calib,
                'gptq',
                bits=bits,
                groupsize=groupsize,
                actorder=True,
                sym=False))
            ppl_r, t_r = run(
                lambda m: rtn_quantize_(m, bits, groupsize, sym=False))
            rows.append((f'{bits}-bit {g}', 'GPTQ', ppl_g, 'RTN', ppl_r))
            print(f'  {rows[-1]}', flush=True)
    for name, kw in (('50 % unstructured', dict(sparsity=0.5)),
                     ('2:4', dict(sparsity=0.5, prunen=2, prunem=4))):
        ppl_s, _ = run(lambda m: compress_lm(m, calib, 'sparsegpt', **kw))
        ppl_m, _ = run(lambda m: magnitude_prune_(m, **kw))
        rows.append((name, 'SparseGPT', ppl_s, 'magnitude', ppl_m))
        print(f'  {rows[-1]}', flush=True)
    return lm, calib, ppl_fp, rows


# ------------------------------------------------------- the digits ResNet
def load_split(split, img_size=16):
    from mmengine.dataset import pseudo_collate
    from mmengine.registry import DATASETS, DefaultScope
    with DefaultScope.overwrite_default_scope('mmcls'):
        ds = DATASETS.build(
            dict(
                type='mmrazor.DigitsDataset',
                split=split,
                img_size=img_size,
                channels=1,
                pipeline=[dict(type='mmcls.PackClsInputs')]))
    return pseudo_collate([ds[i] for i in range(len(ds))])


def batches(data, batch_size):
    n = len(data['inputs'])
    for start in range(0, n, batch_size):
        yield dict(
            inputs=data['inputs'][start:start + batch_size],
            data_samples=data['data_samples'][start:start + batch_size])


@torch.no_grad()
def accuracy(model, data):
    correct = 0
    for batch in batches(data, 128):
        for out in model.test_step(batch):
            correct += int(out.pred_label.item() == out.gt_label.item())
    return 100.0 * correct / len(data['inputs'])


def digits_rows(args):
    from mmengine.config import Config
    from mmengine.registry import MODELS, DefaultScope
    from mmengine.runner import load_checkpoint

    from mmrazor.implementations.pruning.sparse_gpt import SparseGptCompressor
    from mmrazor.implementations.quantization.gptq import (GPTQCompressor,
                                                           Quantizer)
    ckpt = args.digits_ckpt
    if not ckpt:
        vanilla_dir = osp.join(args.work_dir, 'vanilla')
        ckpt = osp.join(vanilla_dir, 'epoch_15.pth')
        if not osp.isfile(ckpt):
            print('training the vanilla digits model ...', flush=True)
            subprocess.run([
                sys.executable,
                osp.join(REPO, 'tools/train.py'), DIGITS_CFG, '--work-dir',
                vanilla_dir
            ],
                           check=True,
                           stdout=subprocess.DEVNULL)
    cfg = Config.fromfile(DIGITS_CFG)
    with DefaultScope.overwrite_default_scope('mmcls'):
        fp32 = MODELS.build(copy.deepcopy(cfg.model))
    load_checkpoint(fp32, ckpt, map_location='cpu', logger='silent')
    fp32.eval()
    train, test = load_split('train'), load_split('test')
    calib = list(batches(train, 64))
    acc_fp = accuracy(fp32, test)

    def calibrated(compressor, **kwargs):
        model = copy.deepcopy(fp32)
        compressor.prepare(model, **kwargs)
        compressor.init_hessian()
        compressor.register_hessian_hooks()
        with torch.no_grad():
            for batch in calib:
                model.test_step(batch)
        compressor.remove_hessian_hooks()
        return model

    gptq = GPTQCompressor()
    model = calibrated(gptq)
    gptq.quant_with_default_qconfig(verbose=False)
    acc_gptq = accuracy(gptq.to_static_model(model), test)

    model = copy.deepcopy(fp32)
    with torch.no_grad():
        for m in model.modules():
            if isinstance(m, (torch.nn.Conv2d, torch.nn.Linear)):
                W = m.weight.data.flatten(1)
                for c in range(0, W.shape[1], 128):
                    q = Quantizer()
                    q.configure(4, perchannel=True, sym=False)
                    q.find_params(W[:, c:c + 128], weight=True)
                    W[:, c:c + 128] = q.quantize(W[:, c:c + 128])
                m.weight.data = W.reshape(m.weight.shape)
    acc_rtn = accuracy(model, test)

    # the stem convolution (one input channel: 9 weights per filter) stays
    # dense under both pruning methods
    stem = 'backbone.conv1'
    sgpt = SparseGptCompressor()
    model = calibrated(sgpt, skipped_layers=[stem])
    sgpt.prune(0.5, verbose=False)
    acc_sgpt = accuracy(sgpt.to_static_model(model), test)

    model = copy.deepcopy(fp32)
    with torch.no_grad():
        for name, m in model.named_modules():
            if isinstance(m, (torch.nn.Conv2d, torch.nn.Linear)) \
                    and name != stem:
                W = m.weight.data
                k = W.numel() // 2
                W.view(-1)[W.abs().flatten().topk(k,
                                                  largest=False).indices] = 0
    acc_mag = accuracy(model, test)
    return acc_fp, [('4-bit g128', 'GPTQ', acc_gptq, 'RTN', acc_rtn),
                    ('50 % (dense stem)', 'SparseGPT', acc_sgpt, 'magnitude',
                     acc_mag)]


# ------------------------------------------------------------ the speed
def real_activations(lm, calib, features=1024):
    """The inputs of ``fc2`` (GELU of ``fc1``) of the first blocks,
    concatenated to ``features`` columns, one row per token."""
    acts = {}
    hooks = [
        blk.fc2.register_forward_pre_hook(
            lambda m, a, i=i: acts.setdefault(i, []).append(a[0]))
        for i, blk in enumerate(lm.blocks)
    ]
    with torch.no_grad():
        for x in calib:
            lm(x)
    for h in hooks:
        h.remove()
    cols = torch.cat([
        torch.cat(acts[i]).reshape(-1, acts[i][0].shape[-1])
        for i in sorted(acts)
    ],
                     dim=1)
    if cols.shape[1] < features:
        raise RuntimeError(f'only {cols.shape[1]} activation features')
    return cols[:, :features].contiguous()


def speed_rows(lm, calib, repeats):
    from mmrazor.implementations.quantization.gptq import GPTQLinear
    x = real_activations(lm, calib)
    torch.manual_seed(0)
    base = torch.nn.Linear(1024, 1024)
    probe = GPTQLinear.convert_from(copy.deepcopy(base))
    probe.init_hessian()
    probe.update_hessian(x)
    hessian = probe.hessian

    def quant(blocksize):
        layer = GPTQLinear.convert_from(copy.deepcopy(base))
        layer.hessian = hessian.clone()
        layer.hessian_samples = x.shape[0]
        t0, c0 = time.perf_counter(), time.process_time()
        err = layer.quant(blocksize=blocksize, bits=4, sym=False)
        cpu = time.process_time() - c0
        return time.perf_counter() - t0, cpu, layer, err

    def factorize():
        """The part both block sizes share: dampened H^-1's Cholesky."""
        layer = GPTQLinear.convert_from(copy.deepcopy(base))
        layer.hessian = hessian.clone()
        layer.hessian_samples = x.shape[0]
        w = layer.weight.detach().clone()
        t0 = time.perf_counter()
        layer._hessian_inverse(w, 0.01)
        return time.perf_counter() - t0

    quant(128)
    quant(1)  # warm-up
    factorize()
    times = {1: [], 128: [], 'f': []}
    cpu_times = {1: [], 128: []}
    for _ in range(repeats):
        for bs in (1, 128):
            t, cpu, layer, err = quant(bs)
            times[bs].append(t)
            cpu_times[bs].append(cpu)
            if bs == 1:
                ref_layer, ref_err = layer, err
            else:
                blk_layer, blk_err = layer, err
        times['f'].append(factorize())
    same = (ref_layer.gptq_codes == blk_layer.gptq_codes).float().mean()
    wdiff = (ref_layer.weight - blk_layer.weight).abs().max().item()
    out_ref = ref_layer(x[:512])
    out_blk = blk_layer(x[:512])
    out_rel = ((out_ref - out_blk).norm() / out_ref.norm()).item()
    return dict(
        tokens=x.shape[0],
        t1=statistics.median(times[1]),
        t128=statistics.median(times[128]),
        tf=statistics.median(times['f']),
        spread1=(min(times[1]), max(times[1])),
        spread128=(min(times[128]), max(times[128])),
        cpu1=statistics.median(cpu_times[1]),
        cpu128=statistics.median(cpu_times[128]),
        same_codes=same.item(),
        max_weight_diff=wdiff,
        out_rel_diff=out_rel,
        err1=ref_err,
        err128=blk_err)


def main():
    args = parse_args()
    torch.set_num_threads(args.threads)
    np.set_printoptions(precision=3)
    t_start = time.time()
    if args.only == 'speed':
        from tiny_lm import calibration_batches, get_trained_lm, load_data
        train, _ = load_data()
        lm = get_trained_lm(args.work_dir, train_data=train)
        calib = calibration_batches(train, lm.context, args.calib_samples)
        print('GPTQ blocksize 128 vs 1 ...', flush=True)
        speed = speed_rows(lm, calib, args.repeats)
        print_speed(speed)
        print(f'total {time.time() - t_start:.0f} s')
        print(f'gptq_blocked_speedup={speed["t1"] / speed["t128"]:.2f} '
              f'cpu={speed["cpu1"] / speed["cpu128"]:.2f}')
        return
    lm, calib, ppl_fp, lm_table = lm_rows(args)
    print('digits ResNet ...', flush=True)
    acc_fp, digits_table = digits_rows(args)
    print('GPTQ blocksize 128 vs 1 ...', flush=True)
    speed = speed_rows(lm, calib, args.repeats)

    print()
    print(f'{"model / setting":32s} {"ours":>10s} {"baseline":>10s} '
          f'{"ours":>8s} {"baseline":>8s} {"d ours":>8s} {"d base":>8s}')
    print('-' * 92)
    print(f'{"stdlib LM fp32 perplexity":32s} {"":>10s} {"":>10s} '
          f'{ppl_fp:8.3f}')
    for setting, ours, p_o, base, p_b in lm_table:
        print(f'{"LM ppl " + setting:32s} {ours:>10s} {base:>10s} '
              f'{p_o:8.3f} {p_b:8.3f} {p_o - ppl_fp:+8.3f} '
              f'{p_b - ppl_fp:+8.3f}')
    print(f'{"digits ResNet fp32 acc %":32s} {"":>10s} {"":>10s} '
          f'{acc_fp:8.2f}')
    for setting, ours, a_o, base, a_b in digits_table:
        print(f'{"digits acc % " + setting:32s} {ours:>10s} {base:>10s} '
              f'{a_o:8.2f} {a_b:8.2f} {a_o - acc_fp:+8.2f} '
              f'{a_b - acc_fp:+8.2f}')
    print('-' * 92)
    print_speed(speed)
    print(f'total {time.time() - t_start:.0f} s')
    by = {(r[0]): r for r in lm_table}
    g4 = by['4-bit per-channel']
    s50 = by['50 % unstructured']
    print(f'gptq_vs_rtn_4bit={g4[2] / g4[4]:.4f} '
          f'sparsegpt_vs_magnitude_50={s50[2] / s50[4]:.4f}')


def print_speed(s):
    """Print the lines of the speed section."""
    print(f'GPTQ 4-bit 1024x1024, Hessian of {s["tokens"]} real tokens: '
          f'blocksize=1 {s["t1"]:.3f} s [{s["spread1"][0]:.3f}, '
          f'{s["spread1"][1]:.3f}], blocksize=128 {s["t128"]:.3f} s '
          f'[{s["spread128"][0]:.3f}, {s["spread128"][1]:.3f}], '
          f'speedup {s["t1"] / s["t128"]:.2f}x')
    sweep1, sweep128 = s['t1'] - s['tf'], s['t128'] - s['tf']
    print(f'  of which the shared Cholesky factorization {s["tf"]:.3f} s; '
          f'column sweeps alone {sweep1:.3f} s vs {sweep128:.3f} s, '
          f'speedup {sweep1 / max(sweep128, 1e-9):.2f}x')
    print(f'  CPU time of this process (robust to other load on the '
          f'machine): {s["cpu1"]:.3f} s vs {s["cpu128"]:.3f} s, speedup '
          f'{s["cpu1"] / s["cpu128"]:.2f}x')
    print(f'  identical codes {100 * s["same_codes"]:.4f} %, max |dW| '
          f'{s["max_weight_diff"]:.3g}, relative output difference '
          f'{s["out_rel_diff"]:.3g}, estimated error {s["err1"]:.6g} vs '
          f'{s["err128"]:.6g}')


if __name__ == '__main__':
    main()
