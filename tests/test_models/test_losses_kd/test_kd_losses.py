# Copyright (c) OpenMMLab. All rights reserved.
"""Every distillation loss against an independent (numpy, loop-based)
reference computation on small tensors."""
import math

import numpy as np
import pytest
import torch
from mmengine.structures import BaseDataElement

from mmrazor.models import losses as L
from mmrazor.registry import MODELS


def np_softmax(x, axis=-1):
    e = np.exp(x - x.max(axis=axis, keepdims=True))
    return e / e.sum(axis=axis, keepdims=True)


def close(a, b, tol=1e-5):
    a = a.detach().double().numpy() if torch.is_tensor(a) else np.asarray(a)
    np.testing.assert_allclose(a, b, rtol=tol, atol=tol)


@pytest.fixture
def logits():
    g = torch.Generator().manual_seed(0)
    s = torch.randn(4, 5, generator=g, dtype=torch.float64)
    t = torch.randn(4, 5, generator=g, dtype=torch.float64)
    labels = torch.tensor([0, 3, 1, 4])
    return s, t, labels


@pytest.fixture
def feats():
    g = torch.Generator().manual_seed(1)
    s = torch.randn(2, 3, 4, 4, generator=g, dtype=torch.float64)
    t = torch.randn(2, 3, 4, 4, generator=g, dtype=torch.float64)
    return s, t


def kl_rows(p, logq):
    return (p * (np.log(p) - logq)).sum(-1)


@pytest.mark.parametrize('reduction', ['batchmean', 'sum', 'mean', 'none'])
def test_kl_divergence(logits, reduction):
    s, t, _ = logits
    tau, w = 2.0, 0.5
    loss = L.KLDivergence(tau=tau, reduction=reduction, loss_weight=w)(s, t)
    S, T = s.numpy(), t.numpy()
    p = np_softmax(T / tau)
    logq = np.log(np_softmax(S / tau))
    elem = p * (np.log(p) - logq)
    ref = {
        'batchmean': elem.sum() / 4,
        'sum': elem.sum(),
        'mean': elem.mean(),
        'none': elem
    }[reduction] * tau**2 * w
    close(loss, ref)
    # hand value: identical logits give zero
    assert L.KLDivergence()(s, s).item() == pytest.approx(0, abs=1e-12)
    with pytest.raises(ValueError, match='reduction'):
        L.KLDivergence(reduction='avg')


def test_kl_teacher_detach(logits):
    s, t, _ = logits
    s, t = s.clone().requires_grad_(), t.clone().requires_grad_()
    L.KLDivergence()(s, t).backward()
    assert t.grad is None and s.grad is not None
    s.grad = None
    L.KLDivergence(teacher_detach=False)(s, t).backward()
    assert t.grad is not None


def test_kd_soft_ce(logits):
    s, t, _ = logits
    tau = 3.0
    S, T = s.numpy(), t.numpy()
    per = -(np_softmax(T / tau) * np.log(np_softmax(S / tau))).sum(-1)
    close(L.KDSoftCELoss(tau=tau)(s, t), per.mean() * tau**2)
    close(
        L.KDSoftCELoss(tau=tau, mult_tem_square=False,
                       loss_weight=2.)(s, t, reduction_override='sum'),
        2 * per.sum())
    weight = torch.tensor([1., 0., 2., 1.], dtype=torch.float64)
    close(
        L.KDSoftCELoss(tau=tau)(s, t, weight=weight, avg_factor=2.),
        (per * weight.numpy()).sum() / 2 * tau**2)


def test_cross_entropy(logits):
    s, t, _ = logits
    S, T = s.numpy(), t.numpy()
    lab = T.argmax(1)
    ref = -np.log(np_softmax(S))[np.arange(4), lab].mean()
    close(L.CrossEntropyLoss(loss_weight=2.)(s, t), 2 * ref)


def test_cwd(feats):
    s, t = feats
    tau = 4.0
    S, T = s.numpy(), t.numpy()
    total = 0.
    for n in range(2):
        for c in range(3):
            p = np_softmax(T[n, c].reshape(-1) / tau)
            logq = np.log(np_softmax(S[n, c].reshape(-1) / tau))
            total += (p * (np.log(p) - logq)).sum()
    close(
        L.ChannelWiseDivergence(tau=tau, loss_weight=3.)(s, t),
        3 * total * tau**2 / 6)
    with pytest.raises(ValueError, match='same shape'):
        L.ChannelWiseDivergence()(s, t[:, :2])


def test_l1_l2(feats):
    s, t = feats
    S, T = s.numpy(), t.numpy()
    close(L.L1Loss(loss_weight=2.)(s, t), 2 * np.abs(S - T).mean())
    close(L.L1Loss(reduction='sum')(s, t), np.abs(S - T).sum())
    close(L.L2Loss(normalize=False)(s, t), ((S - T)**2).sum() / 2)
    Sn = S.reshape(2, -1) / np.linalg.norm(
        S.reshape(2, -1), axis=1, keepdims=True)
    Tn = T.reshape(2, -1) / np.linalg.norm(
        T.reshape(2, -1), axis=1, keepdims=True)
    close(L.L2Loss()(s, t), ((Sn - Tn)**2).sum() / 2)
    close(
        L.L2Loss(mult=2., div_element=True, dist=True)(s, t),
        math.sqrt(((2 * Sn - 2 * Tn)**2).sum()) / Sn.size)


def test_at_loss(feats):
    s, t = feats
    S, T = s.numpy(), t.numpy()

    def att(x):
        a = (x**2).mean(1).reshape(2, -1)
        return a / np.linalg.norm(a, axis=1, keepdims=True)

    close(L.ATLoss(loss_weight=2.)(s, t), 2 * ((att(S) - att(T))**2).mean())


def test_ab_loss():
    # hand-computed: margin 1
    s = torch.tensor([[0.5, -2.0, 0.2, 3.0]])
    t = torch.tensor([[-1.0, -1.0, 2.0, 2.0]])
    # s=0.5,t<=0: (1.5)^2=2.25; s=-2,t<=0: s>-1 false -> 0;
    # s=0.2,t>0: (0.2-1)^2=0.64; s=3,t>0: s<=1 false -> 0
    ref = (2.25 + 0.64) / 1 / 1000 * 3
    close(L.ABLoss()(s, t), ref)
    close(L.ABLoss(loss_weight=2., margin=1.)(s, t), 2 * ref)


def test_dkd(logits):
    s, t, labels = logits
    tau, alpha, beta = 2.0, 1.5, 8.0
    S, T, y = s.numpy(), t.numpy(), labels.numpy()
    tckd, nckd = 0., 0.
    for i in range(4):
        ps, pt = np_softmax(S[i] / tau), np_softmax(T[i] / tau)
        bs = np.array([ps[y[i]], 1 - ps[y[i]]])
        bt = np.array([pt[y[i]], 1 - pt[y[i]]])
        tckd += (bt * np.log(bt / bs)).sum()
        mask = np.arange(5) != y[i]
        qs = np_softmax(S[i][mask] / tau)
        qt = np_softmax(T[i][mask] / tau)
        nckd += (qt * np.log(qt / qs)).sum()
    ref = (alpha * tckd + beta * nckd) / 4 * tau**2
    loss = L.DKDLoss(tau=tau, alpha=alpha, beta=beta)(s, t, labels)
    close(loss, ref, tol=1e-4)


def test_dist(logits):
    s, t, _ = logits
    tau = 2.0
    ys, yt = np_softmax(s.numpy() / tau), np_softmax(t.numpy() / tau)

    def rel(a, b):
        corr = [np.corrcoef(a[i], b[i])[0, 1] for i in range(len(a))]
        return 1 - np.mean(corr)

    ref = tau**2 * (2. * rel(ys, yt) + 0.5 * rel(ys.T, yt.T))
    loss = L.DISTLoss(
        inter_loss_weight=2., intra_loss_weight=.5, tau=tau)(s, t)
    close(loss, ref, tol=1e-5)
    assert L.DISTLoss()(s, s).item() == pytest.approx(0, abs=1e-6)


def test_wsld(logits):
    s, t, labels = logits
    tau = 2.0
    S, T, y = s.numpy(), t.numpy(), labels.numpy()
    vals = []
    for i in range(4):
        ce = -(np_softmax(T[i] / tau) * np.log(np_softmax(S[i] / tau))).sum()
        ce_s = -np.log(np_softmax(S[i]))[y[i]]
        ce_t = -np.log(np_softmax(T[i]))[y[i]]
        w = 1 - np.exp(-max(ce_s / (ce_t + 1e-7), 0))
        vals.append(tau**2 * ce * w)
    close(L.WSLD(tau=tau, num_classes=5)(s, t, labels), np.mean(vals))


def test_rkd():
    g = torch.Generator().manual_seed(2)
    s = torch.randn(5, 6, generator=g, dtype=torch.float64)
    t = torch.randn(5, 6, generator=g, dtype=torch.float64)

    def huber(a, b):
        d = np.abs(a - b)
        return np.where(d < 1, 0.5 * d**2, d - 0.5).mean()

    def norm(x):
        return x / np.linalg.norm(x, axis=1, keepdims=True)

    def dist_mat(x):
        d = np.sqrt(((x[:, None] - x[None])**2).sum(-1))
        return d / d[d > 0].mean()

    S, T = norm(s.numpy()), norm(t.numpy())
    close(L.DistanceWiseRKD()(s, t), 25 * huber(dist_mat(S), dist_mat(T)))

    def angles(x):
        n = len(x)
        out = np.zeros((n, n, n))
        for i in range(n):
            for j in range(n):
                for k in range(n):
                    a, b = x[i] - x[j], x[i] - x[k]
                    na, nb = np.linalg.norm(a), np.linalg.norm(b)
                    if na > 0 and nb > 0:
                        out[i, j, k] = a @ b / na / nb
        return out

    Sraw, Traw = s.numpy(), t.numpy()
    close(
        L.AngleWiseRKD(with_l2_norm=False)(s, t),
        50 * huber(angles(Sraw), angles(Traw)),
        tol=1e-4)


def test_ft_ofd_mgd(feats):
    s, t = feats
    S, T = s.numpy(), t.numpy()

    def nrm(x):
        x = x.reshape(2, -1)
        return x / np.linalg.norm(x, axis=1, keepdims=True)

    close(L.FTLoss()(s, t), np.abs(nrm(S) - nrm(T)).mean())
    mask = (S > T) | (T > 0)
    close(L.OFDLoss(mul_factor=10)(s, t), ((S - T)**2 * mask).sum() / 2 / 10)
    close(L.MGDLoss(alpha_mgd=0.5)(s, t), 0.5 * ((S - T)**2).sum() / 2)


def test_pkd(feats):
    s, t = feats

    def norm(x):
        out = np.empty_like(x)
        for c in range(x.shape[1]):
            v = x[:, c]
            out[:, c] = (v - v.mean()) / (v.std(ddof=1) + 1e-6)
        return out

    S, T = s.numpy(), t.numpy()
    ref = ((norm(S) - norm(T))**2).mean() / 2
    close(L.PKDLoss(loss_weight=2.)(s, t), 2 * ref)
    close(L.PKDLoss()((s, s), (t, t)), 2 * ref)
    # resize: a 2x2 student is upsampled to the teacher's 4x4
    small = torch.nn.functional.interpolate(s, (2, 2), mode='bilinear')
    up = torch.nn.functional.interpolate(small, (4, 4), mode='bilinear')
    close(L.PKDLoss()(small, t), ((norm(up.numpy()) - norm(T))**2).mean() / 2)


def test_fbkd():
    g = torch.Generator().manual_seed(3)
    r = lambda *shape: torch.rand(*shape, generator=g)  # noqa: E731
    s = (r(2, 1, 3, 3), r(2, 4, 1, 1), r(2, 4, 3, 3), r(2, 4, 3, 3))
    t = (r(2, 1, 3, 3), r(2, 4, 1, 1), r(2, 4, 3, 3), r(2, 4, 3, 3))
    sn = [x.numpy() for x in s]
    tn = [x.numpy() for x in t]
    ref = (1. * ((tn[2] - sn[2])**2 * tn[0] * tn[1]).sum() +
           2. * np.abs(sn[0] - tn[0]).sum() +
           3. * np.abs(sn[1] - tn[1]).sum() + 4. * ((sn[3] - tn[3])**2).sum())
    loss = L.FBKDLoss(
        mask_l2_weight=1.,
        spatial_weight=2.,
        channel_weight=3.,
        nonloacl_weight=4.)(s, t)
    close(loss, ref, tol=1e-4)
    with pytest.raises(ValueError, match='4-tuples'):
        L.FBKDLoss()(s[:3], t)


def test_data_free_losses(logits):
    s, _, _ = logits
    S = s.numpy()
    close(L.OnehotLikeLoss()(s),
          -np.log(np_softmax(S))[np.arange(4), S.argmax(1)].mean())
    p = np_softmax(S).mean(0)
    close(
        L.InformationEntropyLoss(loss_weight=2.)(s),
        2 * (p * np.log10(p)).sum())
    f = torch.tensor([[1., -2.], [3., -4.]])
    close(L.ActivationLoss()(f), -2.5)
    close(L.ActivationLoss(norm_type='norm')(f), -(math.sqrt(5) + 5) / 2)
    with pytest.raises(ValueError, match='norm_type'):
        L.ActivationLoss(norm_type='l3')


def test_crd_loss():
    torch.manual_seed(0)
    n_data, neg, dim, bs = 20, 4, 8, 3
    loss_fn = L.CRDLoss(
        neg_num=neg,
        sample_n=n_data,
        dim_out=dim,
        temperature=0.5,
        momentum=0.5)
    s = torch.nn.functional.normalize(torch.randn(bs, dim), dim=1)
    t = torch.nn.functional.normalize(torch.randn(bs, dim), dim=1)
    samples = []
    for i in range(bs):
        d = BaseDataElement()
        d.set_field(torch.tensor(i), 'sample_idx')
        d.set_field(
            torch.tensor([i] + [(i + k + 1) % n_data for k in range(neg)]),
            'contrast_sample_idxs')
        samples.append(d)
    mem1 = loss_fn.contrast.memory_v1.clone().double()
    mem2 = loss_fn.contrast.memory_v2.clone().double()
    loss = loss_fn(s, t, samples)
    # reference
    S, T = s.double().numpy(), t.double().numpy()
    m1, m2 = mem1.numpy(), mem2.numpy()
    idx = np.stack([x.contrast_sample_idxs.numpy() for x in samples])
    out_t = np.exp(np.einsum('bkd,bd->bk', m1[idx], T) / 0.5)
    out_s = np.exp(np.einsum('bkd,bd->bk', m2[idx], S) / 0.5)
    out_s = out_s / (out_s.mean() * n_data)
    out_t = out_t / (out_t.mean() * n_data)

    def nce(x):
        m, pn = neg, 1. / n_data
        d1 = np.log(x[:, 0] / (x[:, 0] + m * pn + 1e-7))
        d0 = np.log(m * pn / (x[:, 1:] + m * pn + 1e-7))
        return -(d1.sum() + d0.sum()) / bs

    close(loss, nce(out_s) + nce(out_t), tol=1e-4)
    # memory of the positives moved towards the features, unit norm
    new = loss_fn.contrast.memory_v1[0]
    ref = 0.5 * mem1[0].numpy() + 0.5 * S[0]
    close(new, ref / np.linalg.norm(ref), tol=1e-5)
    with pytest.raises(KeyError, match='CRDDataset'):
        loss_fn(s, t, [BaseDataElement()] * bs)


def test_all_22_registered():
    names = [
        'KLDivergence', 'KDSoftCELoss', 'CrossEntropyLoss',
        'ChannelWiseDivergence', 'L1Loss', 'L2Loss', 'ATLoss', 'ABLoss',
        'DKDLoss', 'DISTLoss', 'WSLD', 'DistanceWiseRKD', 'AngleWiseRKD',
        'CRDLoss', 'FTLoss', 'OFDLoss', 'FBKDLoss', 'MGDLoss', 'PKDLoss',
        'OnehotLikeLoss', 'InformationEntropyLoss', 'ActivationLoss'
    ]
    assert len(names) == 22
    for name in names:
        assert MODELS.get(name).__module__.startswith('mmrazor.models.losses')
