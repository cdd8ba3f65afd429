# Copyright (c) OpenMMLab. All rights reserved.
import math
from typing import List, Optional, Tuple

import torch
import torch.nn as nn

from mmrazor.registry import MODELS


class AliasMethod:
    """Walker's alias method: O(1) sampling from a discrete distribution.

    Args:
        probs (Tensor): Unnormalised probabilities (K, ).
    """

    def __init__(self, probs: torch.Tensor) -> None:
        probs = probs.double()
        if probs.sum() > 1:
            probs = probs / probs.sum()
        K = len(probs)
        self.prob = torch.zeros(K)
        self.alias = torch.zeros(K, dtype=torch.long)
        smaller: List[int] = []
        larger: List[int] = []
        for kk, prob in enumerate(probs):
            self.prob[kk] = K * prob
            if self.prob[kk] < 1.0:
                smaller.append(kk)
            else:
                larger.append(kk)
        while smaller and larger:
            small = smaller.pop()
            large = larger.pop()
            self.alias[small] = large
            self.prob[large] = (self.prob[large] - 1.0) + self.prob[small]
            if self.prob[large] < 1.0:
                smaller.append(large)
            else:
                larger.append(large)
        for last_one in smaller + larger:
            self.prob[last_one] = 1

    def to(self, device) -> 'AliasMethod':
        """Move the tables to ``device``."""
        self.prob = self.prob.to(device)
        self.alias = self.alias.to(device)
        return self

    def draw(self, N: int) -> torch.Tensor:
        """Draw ``N`` samples."""
        K = self.alias.size(0)
        kk = torch.zeros(
            N, dtype=torch.long, device=self.prob.device).random_(0, K)
        prob = self.prob.index_select(0, kk)
        alias = self.alias.index_select(0, kk)
        b = torch.bernoulli(prob)
        oq = kk.mul(b.long())
        oj = alias.mul((1 - b).long())
        return oq + oj


class ContrastMemory(nn.Module):
    """Memory bank of student and teacher embeddings for CRD.

    ``out_v2 = exp(<memory_v1[idx], v2> / T) / Z_v1`` (and symmetrically),
    where index 0 of ``idx`` is the positive and the rest are negatives;
    ``Z`` is fixed from the first batch as ``mean(out) * n_data``. The
    positives are then updated with momentum and re-normalised.

    Args:
        feat_dim (int): Embedding dimension.
        n_data (int): Dataset size.
        neg_num (int): Negatives per sample.
        T (float): Temperature.
        momentum (float): Memory update momentum.
    """

    def __init__(self,
                 feat_dim: int,
                 n_data: int,
                 neg_num: int,
                 T: float = 0.07,
                 momentum: float = 0.5) -> None:
        super().__init__()
        self.n_data = n_data
        self.unigrams = torch.ones(n_data)
        self.multinomial = AliasMethod(self.unigrams)
        self.neg_num = neg_num
        self.register_buffer('params',
                             torch.tensor([neg_num, T, -1, -1, momentum]))
        stdv = 1. / math.sqrt(feat_dim / 3)
        self.register_buffer(
            'memory_v1',
            torch.rand(n_data, feat_dim).mul_(2 * stdv).add_(-stdv))
        self.register_buffer(
            'memory_v2',
            torch.rand(n_data, feat_dim).mul_(2 * stdv).add_(-stdv))

    def forward(
        self,
        feat_v1: torch.Tensor,
        feat_v2: torch.Tensor,
        idx: torch.Tensor,
        sample_idx: Optional[torch.Tensor] = None
    ) -> Tuple[torch.Tensor, torch.Tensor]:
        """Score the embeddings against the memory.

        Args:
            feat_v1 (Tensor): Student embeddings (N, D).
            feat_v2 (Tensor): Teacher embeddings (N, D).
            idx (Tensor): Dataset indices of the batch (N, ).
            sample_idx (Tensor, optional): (N, K+1) positive + negative
                indices; sampled uniformly when None.

        Returns:
            tuple: ``(out_v1, out_v2)``, each (N, K+1, 1).
        """
        K = int(self.params[0].item())
        T = self.params[1].item()
        Z_v1 = self.params[2].item()
        Z_v2 = self.params[3].item()
        momentum = self.params[4].item()
        batch_size = feat_v1.size(0)
        output_size = self.memory_v1.size(1)
        idx = idx.long().reshape(-1)
        if sample_idx is None:
            self.multinomial.to(feat_v1.device)
            sample_idx = self.multinomial.draw(batch_size * (K + 1)).view(
                batch_size, -1)
            sample_idx.select(1, 0).copy_(idx)
        sample_idx = sample_idx.long()
        K = sample_idx.shape[1] - 1
        # sample
        weight_v1 = torch.index_select(self.memory_v1, 0,
                                       sample_idx.reshape(-1)).detach()
        weight_v1 = weight_v1.view(batch_size, K + 1, output_size)
        out_v2 = torch.bmm(weight_v1, feat_v2.view(batch_size, output_size, 1))
        out_v2 = torch.exp(torch.div(out_v2, T))
        weight_v2 = torch.index_select(self.memory_v2, 0,
                                       sample_idx.reshape(-1)).detach()
        weight_v2 = weight_v2.view(batch_size, K + 1, output_size)
        out_v1 = torch.bmm(weight_v2, feat_v1.view(batch_size, output_size, 1))
        out_v1 = torch.exp(torch.div(out_v1, T))
        # set Z if haven't been set yet
        if Z_v1 < 0:
            self.params[2] = out_v1.mean() * self.n_data
            Z_v1 = self.params[2].clone().detach().item()
        if Z_v2 < 0:
            self.params[3] = out_v2.mean() * self.n_data
            Z_v2 = self.params[3].clone().detach().item()
        out_v1 = torch.div(out_v1, Z_v1).contiguous()
        out_v2 = torch.div(out_v2, Z_v2).contiguous()
        # update memory
        with torch.no_grad():
            l_pos = torch.index_select(self.memory_v1, 0, idx.view(-1))
            l_pos.mul_(momentum)
            l_pos.add_(torch.mul(feat_v1.detach(), 1 - momentum))
            l_norm = l_pos.pow(2).sum(1, keepdim=True).pow(0.5)
            self.memory_v1.index_copy_(0, idx, l_pos.div(l_norm))
            ab_pos = torch.index_select(self.memory_v2, 0, idx.view(-1))
            ab_pos.mul_(momentum)
            ab_pos.add_(torch.mul(feat_v2.detach(), 1 - momentum))
            ab_norm = ab_pos.pow(2).sum(1, keepdim=True).pow(0.5)
            self.memory_v2.index_copy_(0, idx, ab_pos.div(ab_norm))
        return out_v1, out_v2


class ContrastLoss(nn.Module):
    """NCE loss of the CRD scores: the positive (column 0) against the
    ``m`` negatives with the uniform noise ``Pn = 1 / n_data``.

    Args:
        n_data (int): Dataset size.
        eps (float): Numerical epsilon.
    """

    def __init__(self, n_data: int, eps: float = 1e-7) -> None:
        super().__init__()
        self.n_data = n_data
        self.eps = eps

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Compute ``-(sum log D1 + sum log D0) / N``."""
        bsz = x.shape[0]
        m = x.size(1) - 1
        Pn = 1. / float(self.n_data)
        P_pos = x.select(1, 0)
        log_D1 = torch.div(P_pos, P_pos.add(m * Pn + self.eps)).log_()
        P_neg = x.narrow(1, 1, m)
        log_D0 = torch.div(P_neg.clone().fill_(m * Pn),
                           P_neg.add(m * Pn + self.eps)).log_()
        return -(log_D1.sum(0) + log_D0.view(-1, 1).sum(0)) / bsz


@MODELS.register_module()
class CRDLoss(nn.Module):
    """Contrastive representation distillation.

    The student and teacher embeddings (from :class:`CRDConnector`) are
    scored against a memory bank; the loss is the NCE loss of both views.
    The positives and negatives come from the data samples
    (``sample_idx`` and ``contrast_sample_idxs``, set by
    :class:`CRDDataset` and :class:`PackCRDClsInputs`).

    Args:
        loss_weight (float): Defaults to 1.0.
        temperature (float): Defaults to 0.07.
        neg_num (int): Negatives per sample. Defaults to 16384.
        sample_n (int): Dataset size. Defaults to 50000.
        dim_out (int): Embedding size. Defaults to 128.
        momentum (float): Memory momentum. Defaults to 0.5.
        eps (float): Defaults to 1e-7.
    """

    def __init__(self,
                 loss_weight: float = 1.0,
                 temperature: float = 0.07,
                 neg_num: int = 16384,
                 sample_n: int = 50000,
                 dim_out: int = 128,
                 momentum: float = 0.5,
                 eps: float = 1e-7) -> None:
        super().__init__()
        self.loss_weight = loss_weight
        self.contrast = ContrastMemory(dim_out, sample_n, neg_num, temperature,
                                       momentum)
        self.criterion_s_t = ContrastLoss(sample_n, eps=eps)

    def forward(self, s_feats: torch.Tensor, t_feats: torch.Tensor,
                data_samples: List) -> torch.Tensor:
        """Compute the loss.

        Args:
            s_feats (Tensor): Student embeddings (N, dim_out).
            t_feats (Tensor): Teacher embeddings (N, dim_out).
            data_samples (list): Samples with ``sample_idx`` and
                ``contrast_sample_idxs``.

        Returns:
            Tensor: The loss.
        """
        idx, contrast_idx = [], []
        for i, sample in enumerate(data_samples):
            if 'sample_idx' not in sample or \
                    'contrast_sample_idxs' not in sample:
                raise KeyError(
                    f'CRDLoss: data sample {i} has no `sample_idx` / '
                    '`contrast_sample_idxs`; wrap the dataset in '
                    'CRDDataset and pack it with PackCRDClsInputs')
            idx.append(torch.as_tensor(sample.sample_idx).reshape(-1))
            contrast_idx.append(
                torch.as_tensor(sample.contrast_sample_idxs).reshape(-1))
        device = s_feats.device
        idx = torch.cat(idx).to(device)
        contrast_idx = torch.stack(contrast_idx).to(device)
        out_s, out_t = self.contrast(s_feats, t_feats.detach(), idx,
                                     contrast_idx)
        s_loss = self.criterion_s_t(out_s)
        t_loss = self.criterion_s_t(out_t)
        return self.loss_weight * (s_loss + t_loss)
