# Copyright (c) OpenMMLab. All rights reserved.
"""Compress the stdlib byte-level LM with SparseGPT or GPTQ (or the naive
baselines: magnitude pruning, round-to-nearest) and report held-out
perplexity.

Usage (from the repository root)::

    python projects/mmrazor_large/examples/stdlib_lm/compress.py \
        gptq --bits 4 --groupsize 128
    python projects/mmrazor_large/examples/stdlib_lm/compress.py \
        sparsegpt --sparsity 0.5            # or --prunen 2 --prunem 4
    python projects/mmrazor_large/examples/stdlib_lm/compress.py rtn --bits 4
    python projects/mmrazor_large/examples/stdlib_lm/compress.py magnitude

The linear layers of the transformer blocks are compressed, block by block
(the Hessians of block ``i`` come from calibration inputs that went
through the already compressed blocks ``< i``); embeddings and the output
head stay in fp32.
"""
import argparse
import os.path as osp
import sys
import time
from typing import List

import torch
import torch.nn as nn

HERE = osp.dirname(osp.abspath(__file__))
REPO = osp.dirname(osp.dirname(osp.dirname(osp.dirname(HERE))))
for p in (HERE, REPO):
    if p not in sys.path:
        sys.path.insert(0, p)

import tiny_lm  # noqa: E402


def _run(model: nn.Module, calib: List[torch.Tensor]) -> None:
    with torch.no_grad():
        for x in calib:
            model(x)


def compress_lm(model: nn.Module,
                calib: List[torch.Tensor],
                method: str,
                verbose: bool = False,
                **kwargs) -> nn.Module:
    """Compress the block linears of ``model`` in place, block by block.

    Args:
        model (nn.Module): A ``TinyDecoderLM``.
        calib (list[Tensor]): Calibration input batches.
        method (str): ``'gptq'`` or ``'sparsegpt'``.
        verbose (bool): Log per-layer progress.
        **kwargs: ``GPTQMixIn.quant`` / ``SparseGptMixIn.prune`` arguments.

    Returns:
        nn.Module: The model with plain ``nn.Linear`` layers.
    """
    from mmrazor.implementations.pruning.sparse_gpt import (
        SparseGptCompressor, SparseGptMixIn)
    from mmrazor.implementations.pruning.sparse_gpt.utils import log_progress
    from mmrazor.implementations.quantization.gptq import (GPTQCompressor,
                                                           GPTQMixIn)
    if method == 'gptq':
        compressor, mixin = GPTQCompressor(), GPTQMixIn
        compressor.prepare(model.blocks, quant_conv=False)
    elif method == 'sparsegpt':
        compressor, mixin = SparseGptCompressor(), SparseGptMixIn
        compressor.prepare(model.blocks, prune_conv=False)
    else:
        raise ValueError(f'compress_lm: unknown method {method!r}; '
                         "expected 'gptq' or 'sparsegpt'.")
    total = sum(isinstance(m, mixin) for m in model.blocks.modules())
    done = 0
    for i, block in enumerate(model.blocks):
        ops = {
            f'blocks.{i}.{n}': m
            for n, m in block.named_modules() if isinstance(m, mixin)
        }
        for op in ops.values():
            op.start_init_hessian()
        _run(model, calib)
        for name, op in ops.items():
            op.end_init_hessian()
            if method == 'gptq':
                err = op.quant(**kwargs)
            else:
                err = op.prune(**kwargs)
            op.free_hessian()
            done += 1
            if verbose:
                log_progress(name, done, total, f'error={err:.4g}')
    compressor.to_static_model(model.blocks)
    return model


def block_linears(model: nn.Module) -> List[nn.Linear]:
    """The linear layers of the transformer blocks."""
    return [m for m in model.blocks.modules() if isinstance(m, nn.Linear)]


@torch.no_grad()
def rtn_quantize_(model: nn.Module,
                  bits: int,
                  groupsize: int = -1,
                  sym: bool = False) -> nn.Module:
    """Round-to-nearest baseline on the same min-max grid as GPTQ."""
    from mmrazor.implementations.quantization.gptq import Quantizer
    for layer in block_linears(model):
        W = layer.weight.data
        step = W.shape[1] if groupsize == -1 else groupsize
        for c in range(0, W.shape[1], step):
            q = Quantizer()
            q.configure(bits, perchannel=True, sym=sym)
            q.find_params(W[:, c:c + step], weight=True)
            W[:, c:c + step] = q.quantize(W[:, c:c + step])
    return model


@torch.no_grad()
def magnitude_prune_(model: nn.Module,
                     sparsity: float = 0.5,
                     prunen: int = 0,
                     prunem: int = 0) -> nn.Module:
    """Magnitude-pruning baseline: the smallest ``|w|`` of each layer (or
    of each group of ``prunem`` input weights for N:M)."""
    for layer in block_linears(model):
        W = layer.weight.data
        if prunen:
            groups = W.view(-1, prunem)
            idx = groups.abs().topk(prunen, dim=1, largest=False).indices
            groups.scatter_(1, idx, 0)
        else:
            k = int(W.numel() * sparsity)
            idx = W.abs().flatten().topk(k, largest=False).indices
            W.view(-1)[idx] = 0
    return model


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument(
        'method', choices=['gptq', 'sparsegpt', 'rtn', 'magnitude'])
    parser.add_argument(
        '--work-dir',
        default=osp.join(REPO, 'work_dirs/benchmarks/llm_compression'))
    parser.add_argument('--bits', type=int, default=4)
    parser.add_argument('--groupsize', type=int, default=-1)
    parser.add_argument('--sym', action='store_true')
    parser.add_argument('--actorder', action='store_true')
    parser.add_argument('--sparsity', type=float, default=0.5)
    parser.add_argument('--prunen', type=int, default=0)
    parser.add_argument('--prunem', type=int, default=0)
    parser.add_argument('--blocksize', type=int, default=128)
    parser.add_argument('--percdamp', type=float, default=0.01)
    parser.add_argument('--calib-samples', type=int, default=64)
    parser.add_argument('--threads', type=int, default=2)
    return parser.parse_args()


def main():
    args = parse_args()
    torch.set_num_threads(args.threads)
    train, test = tiny_lm.load_data()
    model = tiny_lm.get_trained_lm(args.work_dir, train_data=train)
    ppl_fp = tiny_lm.perplexity(model, test)
    calib = tiny_lm.calibration_batches(train, model.context,
                                        args.calib_samples)
    t0 = time.time()
    if args.method == 'gptq':
        compress_lm(
            model,
            calib,
            'gptq',
            verbose=True,
            blocksize=args.blocksize,
            percdamp=args.percdamp,
            groupsize=args.groupsize,
            actorder=args.actorder,
            bits=args.bits,
            sym=args.sym)
    elif args.method == 'sparsegpt':
        compress_lm(
            model,
            calib,
            'sparsegpt',
            verbose=True,
            sparsity=args.sparsity,
            prunen=args.prunen,
            prunem=args.prunem,
            blocksize=args.blocksize,
            percdamp=args.percdamp)
    elif args.method == 'rtn':
        rtn_quantize_(model, args.bits, args.groupsize, args.sym)
    else:
        magnitude_prune_(model, args.sparsity, args.prunen, args.prunem)
    elapsed = time.time() - t0
    ppl = tiny_lm.perplexity(model, test)
    print(f'{args.method}: held-out perplexity {ppl:.3f} (fp32 {ppl_fp:.3f},'
          f' +{ppl - ppl_fp:.3f}); compression took {elapsed:.1f} s')


if __name__ == '__main__':
    main()
