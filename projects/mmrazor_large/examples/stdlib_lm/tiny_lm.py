# Copyright (c) OpenMMLab. All rights reserved.
"""A small decoder-only byte-level language model trained in-process on
Python standard-library sources (no download), with held-out perplexity.

The training text is a fixed list of standard-library modules; the
held-out text is two other modules. The trained weights are cached in the
work directory (``weights_only`` checkpoint).
"""
import hashlib
import json
import math
import os
import os.path as osp
import sysconfig
import time
from typing import Dict, List, Optional, Tuple

import torch
import torch.nn as nn
import torch.nn.functional as F

TRAIN_FILES = [
    'argparse.py', 'typing.py', 'inspect.py', 'dataclasses.py',
    'subprocess.py', 'functools.py', 'enum.py', 'textwrap.py',
    'collections/__init__.py', 'logging/__init__.py', 'pathlib.py',
    'shutil.py', 'tarfile.py', 'zipfile.py', 'ast.py', 'pickle.py',
    'threading.py'
]
TEST_FILES = ['configparser.py', 'difflib.py']

DEFAULT_CFG = dict(
    vocab=256, dim=160, depth=4, heads=4, context=128, mlp_ratio=4)
DEFAULT_TRAIN = dict(steps=200, batch=16, lr=4e-3, seed=0, warmup=20)


def read_corpus(files: List[str], limit: Optional[int] = None) -> torch.Tensor:
    """Bytes of the given standard-library files as a uint8 tensor."""
    root = sysconfig.get_paths()['stdlib']
    chunks = []
    for name in files:
        path = osp.join(root, name)
        if not osp.isfile(path):
            raise FileNotFoundError(
                f'standard-library file {name!r} not found under {root}')
        with open(path, 'rb') as f:
            chunks.append(f.read())
    data = b'\n'.join(chunks)
    if limit is not None:
        data = data[:limit]
    return torch.frombuffer(bytearray(data), dtype=torch.uint8).long()


class Block(nn.Module):
    """Pre-norm transformer block: causal self-attention and an MLP."""

    def __init__(self, dim: int, heads: int, mlp_ratio: int) -> None:
        super().__init__()
        self.heads = heads
        self.ln1 = nn.LayerNorm(dim)
        self.qkv = nn.Linear(dim, 3 * dim)
        self.proj = nn.Linear(dim, dim)
        self.ln2 = nn.LayerNorm(dim)
        self.fc1 = nn.Linear(dim, mlp_ratio * dim)
        self.fc2 = nn.Linear(mlp_ratio * dim, dim)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        B, T, C = x.shape
        q, k, v = self.qkv(self.ln1(x)).split(C, dim=2)
        q, k, v = (
            t.view(B, T, self.heads, C // self.heads).transpose(1, 2)
            for t in (q, k, v))
        y = F.scaled_dot_product_attention(q, k, v, is_causal=True)
        x = x + self.proj(y.transpose(1, 2).reshape(B, T, C))
        return x + self.fc2(F.gelu(self.fc1(self.ln2(x))))


class TinyDecoderLM(nn.Module):
    """A byte-level GPT-style language model.

    Args:
        vocab (int): Vocabulary (256 bytes).
        dim (int): Width.
        depth (int): Blocks.
        heads (int): Attention heads.
        context (int): Maximum sequence length.
        mlp_ratio (int): MLP expansion.
    """

    def __init__(self,
                 vocab: int = 256,
                 dim: int = 160,
                 depth: int = 4,
                 heads: int = 4,
                 context: int = 128,
                 mlp_ratio: int = 4) -> None:
        super().__init__()
        self.context = context
        self.tok_emb = nn.Embedding(vocab, dim)
        self.pos_emb = nn.Parameter(torch.zeros(1, context, dim))
        self.blocks = nn.ModuleList(
            Block(dim, heads, mlp_ratio) for _ in range(depth))
        self.ln_f = nn.LayerNorm(dim)
        self.lm_head = nn.Linear(dim, vocab, bias=False)
        nn.init.normal_(self.pos_emb, std=0.02)

    def forward(self, idx: torch.Tensor) -> torch.Tensor:
        x = self.tok_emb(idx) + self.pos_emb[:, :idx.shape[1]]
        for blk in self.blocks:
            x = blk(x)
        return self.lm_head(self.ln_f(x))


def windows(data: torch.Tensor, context: int) -> torch.Tensor:
    """Non-overlapping ``context + 1`` byte windows (``n x ctx+1``)."""
    n = (len(data) - 1) // context
    return torch.stack(
        [data[i * context:i * context + context + 1] for i in range(n)])


def calibration_batches(data: torch.Tensor,
                        context: int,
                        samples: int = 32,
                        batch: int = 8,
                        seed: int = 1) -> List[torch.Tensor]:
    """Random training windows (inputs only) for calibration."""
    g = torch.Generator().manual_seed(seed)
    starts = torch.randint(0, len(data) - context, (samples, ), generator=g)
    x = torch.stack([data[s:s + context] for s in starts.tolist()])
    return list(x.split(batch))


@torch.no_grad()
def perplexity(model: nn.Module, data: torch.Tensor, batch: int = 32) -> float:
    """``exp`` of the mean next-byte cross-entropy over non-overlapping
    windows of ``data``."""
    model.eval()
    win = windows(data, model.context)
    total, count = 0.0, 0
    for chunk in win.split(batch):
        logits = model(chunk[:, :-1])
        loss = F.cross_entropy(
            logits.reshape(-1, logits.shape[-1]),
            chunk[:, 1:].reshape(-1),
            reduction='sum')
        total += float(loss)
        count += chunk[:, 1:].numel()
    return math.exp(total / count)


def train_lm(model: TinyDecoderLM,
             data: torch.Tensor,
             steps: int,
             batch: int,
             lr: float,
             seed: int = 0,
             warmup: int = 50,
             log_every: int = 100) -> None:
    """AdamW with warm-up and cosine decay on random windows."""
    g = torch.Generator().manual_seed(seed)
    opt = torch.optim.AdamW(
        model.parameters(), lr=lr, betas=(0.9, 0.95), weight_decay=0.1)
    ctx = model.context
    model.train()
    t0 = time.time()
    for step in range(steps):
        scale = min(
            1.0,
            (step + 1) / warmup) * 0.5 * (1 + math.cos(math.pi * step / steps))
        for group in opt.param_groups:
            group['lr'] = lr * scale
        starts = torch.randint(0, len(data) - ctx - 1, (batch, ), generator=g)
        chunk = torch.stack([data[s:s + ctx + 1] for s in starts.tolist()])
        logits = model(chunk[:, :-1])
        loss = F.cross_entropy(
            logits.reshape(-1, logits.shape[-1]), chunk[:, 1:].reshape(-1))
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        if log_every and (step + 1) % log_every == 0:
            print(
                f'  step {step + 1}/{steps} loss {loss.item():.3f} '
                f'({time.time() - t0:.0f} s)',
                flush=True)
    model.eval()


def load_data(test_limit: int = 32768) -> Tuple[torch.Tensor, torch.Tensor]:
    """Training bytes and held-out bytes (the first ``test_limit``)."""
    return read_corpus(TRAIN_FILES), read_corpus(TEST_FILES, test_limit)


def get_trained_lm(work_dir: str,
                   model_cfg: Optional[Dict] = None,
                   train_cfg: Optional[Dict] = None,
                   train_data: Optional[torch.Tensor] = None) -> TinyDecoderLM:
    """Build the LM and train it, or load it from the cache in
    ``work_dir`` (keyed by the model and training settings)."""
    model_cfg = dict(DEFAULT_CFG, **(model_cfg or {}))
    train_cfg = dict(DEFAULT_TRAIN, **(train_cfg or {}))
    key = hashlib.sha1(
        json.dumps([model_cfg, train_cfg, TRAIN_FILES],
                   sort_keys=True).encode()).hexdigest()[:10]
    path = osp.join(work_dir, f'stdlib_lm_{key}.pth')
    torch.manual_seed(train_cfg['seed'])
    model = TinyDecoderLM(**model_cfg)
    if osp.isfile(path):
        model.load_state_dict(
            torch.load(path, map_location='cpu', weights_only=True))
        model.eval()
        return model
    if train_data is None:
        train_data = read_corpus(TRAIN_FILES)
    nparams = sum(p.numel() for p in model.parameters())
    print(
        f'training the stdlib LM ({nparams / 1e6:.2f} M params, '
        f'{train_cfg["steps"]} steps) ...',
        flush=True)
    train_lm(model, train_data, **train_cfg)
    os.makedirs(work_dir, exist_ok=True)
    from mmrazor.utils import atomic_write
    state = model.state_dict()
    atomic_write(path, lambda tmp: torch.save(state, tmp))
    return model
