"""Reference values for test/solvers/svm-cs-qpth.test.ts: qpth's batched primal-dual interior
point (pdipm_b.forward / QPFunction.backward, as MetaOptNet calls it) written out densely in
PyTorch float64, every Newton system solved as the full 4x4-block KKT matrix with
torch.linalg.solve (qpth factors it by blocks; in exact arithmetic the directions are the same).
The problem is MetaOptNet's Crammer-Singer dual on a small fixed episode (formulas below, no RNG,
so the TypeScript test builds the same one). Run: /usr/bin/python3 test/solvers/qpth-reference.py
(Debian python3-torch 1.13)."""
import json
import math

import torch

torch.set_default_dtype(torch.float64)

N_WAY, SHOT, DIM, C_REG = 3, 2, 5, 0.1
n = N_WAY * SHOT
labels = [i % N_WAY for i in range(n)]
X = torch.tensor([[2 * math.cos(0.9 * i + 1.7 * t) + (1.5 if t == labels[i] else 0.0) for t in range(DIM)] for i in range(n)])
K = X @ X.T
W = N_WAY
nz = n * W
onehot = torch.zeros(n, W)
for i, y in enumerate(labels):
    onehot[i, y] = 1
Q = torch.kron(K, torch.eye(W)) + torch.eye(nz)
p = -onehot.reshape(-1)
G = torch.eye(nz)
h = C_REG * onehot.reshape(-1)
A = torch.kron(torch.eye(n), torch.ones(1, W))
b = torch.zeros(n)
m, neq = nz, n


def kkt_solve(d, rx, rs, rz, ry):
    """[Q 0 G' A'; 0 D I 0; G I 0 0; A 0 0 0] [dx ds dz dy] = -[rx rs rz ry]."""
    size = nz + m + m + neq
    M = torch.zeros(size, size)
    ix, is_, iz, iy = 0, nz, nz + m, nz + 2 * m
    M[ix:is_, ix:is_] = Q
    M[ix:is_, iz:iy] = G.T
    M[ix:is_, iy:] = A.T
    M[is_:iz, is_:iz] = torch.diag(d)
    M[is_:iz, iz:iy] = torch.eye(m)
    M[iz:iy, ix:is_] = G
    M[iz:iy, is_:iz] = torch.eye(m)
    M[iy:, ix:is_] = A
    v = torch.linalg.solve(M, -torch.cat([rx, rs, rz, ry]))
    return v[ix:is_], v[is_:iz], v[iz:iy], v[iy:]


def get_step(v, dv):
    neg = dv < 0
    return (-v[neg] / dv[neg]).min().item() if neg.any() else 1.0


def qpth_forward(max_iter, eps=1e-12, not_improved_lim=3):
    x, s, z, y = kkt_solve(torch.ones(m), p, torch.zeros(m), -h, -b)
    if s.min() < 0:
        s = s - s.min() + 1
    if z.min() < 0:
        z = z - z.min() + 1
    best, not_improved = None, 0
    for it in range(max_iter):
        rx = A.T @ y + G.T @ z + Q @ x + p
        rs = z
        rz = G @ x + s - h
        ry = A @ x - b
        mu = abs((s * z).sum().item() / m)
        resid = rz.norm().item() + ry.norm().item() + rx.norm().item() + m * mu
        if best is None or resid < best['resid']:
            best = {'x': x.clone(), 's': s.clone(), 'z': z.clone(), 'resid': resid, 'iterate': it}
            not_improved = 0
        else:
            not_improved += 1
        if not_improved == not_improved_lim or best['resid'] < eps or mu > 1e32:
            break
        d = z / s
        dx_a, ds_a, dz_a, dy_a = kkt_solve(d, rx, rs, rz, ry)
        a = min(get_step(z, dz_a), get_step(s, ds_a), 1.0)
        sig = (((s + a * ds_a) * (z + a * dz_a)).sum() / (s * z).sum()).item() ** 3
        rs_c = (-mu * sig + ds_a * dz_a) / s
        dx_c, ds_c, dz_c, dy_c = kkt_solve(d, torch.zeros(nz), rs_c, torch.zeros(m), torch.zeros(neq))
        dx, ds, dz, dy = dx_a + dx_c, ds_a + ds_c, dz_a + dz_c, dy_a + dy_c
        a = min(0.999 * min(get_step(z, dz), get_step(s, ds)), 1.0)
        x, s, z, y = x + a * dx, s + a * ds, z + a * dz, y + a * dy
    return best


def qpth_backward_dk(best, g_alpha):
    """QPFunction.backward: solve with D = lams / slacks, rx = dL/dz; dQ = (dx z' + z dx') / 2."""
    d = best['z'] / best['s']
    dx, _, _, _ = kkt_solve(d, g_alpha, torch.zeros(m), torch.zeros(m), torch.zeros(neq))
    dQ = 0.5 * (torch.outer(dx, best['x']) + torch.outer(best['x'], dx))
    # Q = kron(K, I_W) + I: dK_ij = sum_m dQ[(i,m),(j,m)]
    return torch.einsum('imjm->ij', dQ.reshape(n, W, n, W))


g_alpha = torch.tensor([math.sin(0.37 * r + 0.1) for r in range(nz)])
out = {'n': n, 'nWay': W, 'C': C_REG}
for k in (1, 2, 3, 15, 40):
    best = qpth_forward(k)
    out[f'maxIter{k}'] = {'alpha': best['x'].tolist(), 'bestIterate': best['iterate'], 'residual': best['resid']}
out['dK_maxIter3'] = qpth_backward_dk(qpth_forward(3), g_alpha).reshape(-1).tolist()
out['dK_maxIter40'] = qpth_backward_dk(qpth_forward(40), g_alpha).reshape(-1).tolist()
print(json.dumps(out))
