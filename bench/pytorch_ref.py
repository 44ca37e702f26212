#!/usr/bin/python3
"""pytorch_ref.py — an optional PyTorch reference of libbet's FCNN training (issue 3's accuracy and
speed baseline). NOT a build or CI dependency: it needs Debian's python3-torch (1.13), which the
project does not install; run it by hand to compare with `rramsim train`.

The same net and hyperparameters as `rramsim train --arch 784-H-...-10 --loss ce`:
  - latent float weights, init U(-1/sqrt(fan_in), 1/sqrt(fan_in)) (nn.Linear's default), no biases;
    binarized by sign (sign(0) = +1) with a straight-through gradient; clipped to [-1, 1] after
    every optimizer step (only the latent weights: libbet's default, not --clip-all);
  - hidden layer: linear -> BatchNorm1d (momentum 0.1, eps 1e-5, gamma 1, beta 0) -> hardtanh + sign
    with the hardtanh STE (gradient passes where |x| <= 1);
  - the first layer sees pixels / 255 (no other normalisation);
  - output layer: binarized weights, integer scores times a learnable scalar scale (init 1e-3);
  - cross-entropy; Adam (0.9, 0.999, 1e-8) lr 1e-3; StepLR(step_size, gamma 0.5) per epoch;
  - batch 256, reshuffled every epoch, last partial batch kept;
  - evaluation: eval mode (running statistics), same sign convention.

Usage: /usr/bin/python3 bench/pytorch_ref.py [--epochs 2] [--seed 1] [--threads 2]
         [--arch 784-2048-2048-10] [--step-size 25] [--data /usr/share/datasets/fashion-mnist]
         [--train-limit N]
Prints one line per epoch: epoch, loss, train accuracy, test accuracy, training seconds, img/s,
and the wall and CPU (all threads) seconds scaled to a 60000-image epoch.

       /usr/bin/python3 bench/pytorch_ref.py --eval-checkpoint FILE.ckpt
Cross-check of the evaluation path: loads a libbet training checkpoint of a dense net (latent
weights, batch-norm gamma/beta and running statistics, output scale; format in
models/src/checkpoint.c) into this PyTorch net and prints its test accuracy in eval mode (float
batch norm with the running statistics), to compare with libbet's integer-threshold evaluation of
the same checkpoint. It also prints the accuracy with the batch-norm statistics re-estimated over
the whole training set (a diagnostic of how much the running averages cost).
"""
import argparse
import gzip
import os
import struct
import sys
import time

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F


def read_idx(path):
    with gzip.open(path, "rb") as f:
        data = f.read()
    magic, = struct.unpack(">I", data[:4])
    ndim = magic & 0xFF
    dims = struct.unpack(">" + "I" * ndim, data[4:4 + 4 * ndim])
    return np.frombuffer(data, dtype=np.uint8, offset=4 + 4 * ndim).reshape(dims)


class SignSTE(torch.autograd.Function):
    """sign with sign(0) = +1; backward passes the gradient where |x| <= 1 (hardtanh STE)."""

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return torch.where(x >= 0, torch.ones_like(x), -torch.ones_like(x))

    @staticmethod
    def backward(ctx, g):
        x, = ctx.saved_tensors
        return g * (x.abs() <= 1).to(g.dtype)


class BinaryLinear(nn.Linear):
    """Linear layer without bias whose forward uses sign(w) (STE: the latent weights stay in
    [-1, 1] by clipping, so the |w| <= 1 mask always passes)."""

    def __init__(self, fan_in, fan_out):
        super().__init__(fan_in, fan_out, bias=False)

    def forward(self, x):
        return F.linear(x, SignSTE.apply(self.weight))


class FCNN(nn.Module):
    def __init__(self, widths):
        super().__init__()
        self.linears = nn.ModuleList(
            BinaryLinear(widths[i], widths[i + 1]) for i in range(len(widths) - 1))
        self.bns = nn.ModuleList(
            nn.BatchNorm1d(w, eps=1e-5, momentum=0.1) for w in widths[1:-1])
        self.scale = nn.Parameter(torch.tensor(1e-3))

    def forward(self, x):
        for lin, bn in zip(self.linears[:-1], self.bns):
            x = SignSTE.apply(bn(lin(x)))
        return self.linears[-1](x) * self.scale


def load_checkpoint(path, net, widths):
    """Fills net from a libbet checkpoint (version 1 or 2, dense layers only)."""
    with open(path, "rb") as f:
        data = f.read()
    if data[:8] != b"BETCKPT1":
        sys.exit(f"pytorch_ref.py: {path}: not a libbet checkpoint (magic {data[:8]!r})")
    version, = struct.unpack_from("<I", data, 8)
    n_layers, = struct.unpack_from("<I", data, 76)
    kinds = [struct.unpack_from("<III", data, 80 + 12 * i) for i in range(n_layers)]
    if any(k[0] != 0 for k in kinds) or [k[1] for k in kinds] != widths[1:]:
        sys.exit(f"pytorch_ref.py: {path}: layers {kinds} are not the dense net {widths}")
    off = 80 + 12 * n_layers + 4 * 4 + 8 * 2 + 4 + 8       # shape, seed, step, epoch, bn_eps
    off += 4 * 5 + 8 * 6 + 8 * 2 + 4 + 4 + (16 if version >= 2 else 0)  # training parameters

    def array(expect):
        nonlocal off
        n, = struct.unpack_from("<Q", data, off)
        if n != expect:
            sys.exit(f"pytorch_ref.py: {path}: array of {n} values at byte {off}, expected {expect}")
        a = np.frombuffer(data, dtype="<f4", count=n, offset=off + 8).copy()
        off += 8 + 4 * n
        return torch.from_numpy(a)

    with torch.no_grad():
        for i, lin in enumerate(net.linears):
            nw = widths[i] * widths[i + 1]
            lin.weight.copy_(array(nw).reshape(widths[i + 1], widths[i]))
            array(nw), array(nw)                          # Adam moments
            if i < len(net.bns):
                bn, c = net.bns[i], widths[i + 1]
                bn.weight.copy_(array(c)), bn.bias.copy_(array(c))
                for _ in range(4):
                    array(c)                              # Adam moments of gamma, beta
                bn.running_mean.copy_(array(c)), bn.running_var.copy_(array(c))
        net.scale.copy_(array(1)[0])


def test_accuracy(net, xte, yte):
    with torch.no_grad():
        return sum((net(xte[i:i + 1000]).argmax(1) == yte[i:i + 1000]).sum().item()
                   for i in range(0, xte.shape[0], 1000)) / xte.shape[0]


def eval_checkpoint(path, widths, xtr, xte, yte):
    net = FCNN(widths)
    load_checkpoint(path, net, widths)
    net.eval()
    acc = test_accuracy(net, xte, yte)
    print(f"{path}: test {100 * acc:.2f}% (eval mode, running statistics)", flush=True)
    # Re-estimate each batch norm's statistics over the training set (exact averages over all
    # images, the layers below already re-estimated): the accuracy the same weights reach
    # without the running averages' lag.
    with torch.no_grad():
        for bn in net.bns:
            bn.reset_running_stats()
            bn.momentum = None                            # cumulative average
        net.train()
        # One pass in train mode with one full-size batch per layer is what "exact" needs; the
        # batch statistics are then the training-set statistics.
        x = xtr
        for lin, bn in zip(net.linears[:-1], net.bns):
            z = lin(x)
            bn(z)                                         # running stats <- batch (whole set) stats
            bn.eval()
            x = SignSTE.apply(bn(z))
        net.eval()
    acc2 = test_accuracy(net, xte, yte)
    print(f"{path}: test {100 * acc2:.2f}% (batch norm re-estimated on the training set)",
          flush=True)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--arch", default="784-2048-2048-10")
    ap.add_argument("--data", default="/usr/share/datasets/fashion-mnist")
    ap.add_argument("--epochs", type=int, default=2)
    ap.add_argument("--batch", type=int, default=256)
    ap.add_argument("--lr", type=float, default=1e-3)
    ap.add_argument("--step-size", type=int, default=25)
    ap.add_argument("--gamma", type=float, default=0.5)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--eval-checkpoint", metavar="FILE",
                    help="evaluate a libbet checkpoint of --arch in PyTorch and exit")
    ap.add_argument("--train-limit", type=int, default=0,
                    help="use only the first N training images (0 = all); times are scaled to 60000")
    a = ap.parse_args()
    widths = [int(w) for w in a.arch.split("-")]
    torch.set_num_threads(a.threads)
    torch.manual_seed(a.seed)
    files = {k: os.path.join(a.data, f) for k, f in {
        "xtr": "train-images-idx3-ubyte.gz", "ytr": "train-labels-idx1-ubyte.gz",
        "xte": "t10k-images-idx3-ubyte.gz", "yte": "t10k-labels-idx1-ubyte.gz"}.items()}
    for k, p in files.items():
        if not os.path.exists(p):
            sys.exit(f"pytorch_ref.py: {p}: no such file")
    xtr = torch.from_numpy(read_idx(files["xtr"]).reshape(-1, 784).astype(np.float32) / 255.0)
    ytr = torch.from_numpy(read_idx(files["ytr"]).astype(np.int64))
    if a.train_limit > 0:
        xtr, ytr = xtr[:a.train_limit], ytr[:a.train_limit]
    xte = torch.from_numpy(read_idx(files["xte"]).reshape(-1, 784).astype(np.float32) / 255.0)
    yte = torch.from_numpy(read_idx(files["yte"]).astype(np.int64))
    if widths[0] != 784:
        sys.exit("pytorch_ref.py: --arch must start with 784 (Fashion-MNIST)")

    if a.eval_checkpoint:
        eval_checkpoint(a.eval_checkpoint, widths, xtr, xte, yte)
        return
    net = FCNN(widths)
    opt = torch.optim.Adam(net.parameters(), lr=a.lr, betas=(0.9, 0.999), eps=1e-8)
    sched = torch.optim.lr_scheduler.StepLR(opt, step_size=a.step_size, gamma=a.gamma)
    gen = torch.Generator().manual_seed(a.seed)
    n = xtr.shape[0]
    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads, arch {a.arch}, "
          f"seed {a.seed}, batch {a.batch}, lr {a.lr}, step size {a.step_size}", flush=True)
    for epoch in range(1, a.epochs + 1):
        net.train()
        perm = torch.randperm(n, generator=gen)
        t0, c0 = time.perf_counter(), time.process_time()
        loss_sum, correct = 0.0, 0
        for b0 in range(0, n, a.batch):
            idx = perm[b0:b0 + a.batch]
            x, y = xtr[idx], ytr[idx]
            out = net(x)
            loss = F.cross_entropy(out, y)
            opt.zero_grad()
            loss.backward()
            opt.step()
            with torch.no_grad():
                for lin in net.linears:
                    lin.weight.clamp_(-1.0, 1.0)
            loss_sum += loss.item() * len(idx)
            correct += (out.argmax(1) == y).sum().item()
        secs, cpu = time.perf_counter() - t0, time.process_time() - c0
        sched.step()
        net.eval()
        acc = test_accuracy(net, xte, yte)
        print(f"epoch {epoch}/{a.epochs}: loss {loss_sum / n:.4f}  train {100 * correct / n:.2f}%  "
              f"test {100 * acc:.2f}%  {secs:.2f} s ({n / secs:.0f} img/s)  per 60000 images: "
              f"{secs * 60000 / n:.2f} s wall, {cpu * 60000 / n:.2f} s CPU", flush=True)


if __name__ == "__main__":
    main()
