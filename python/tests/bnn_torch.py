"""Small PyTorch BNNs for the tests (and docs/examples/pytorch_bnn.py): binarised weights and
activations with a straight-through estimator, trained for a few hundred steps on Fashion-MNIST."""
import functools
import gzip
import os

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

DATA = os.environ.get("RRAMSIM_FMNIST", "/usr/share/datasets/fashion-mnist")


def read_idx(path):
    with gzip.open(path, "rb") as f:
        raw = f.read()
    ndim = raw[3]
    dims = [int.from_bytes(raw[4 + 4 * i:8 + 4 * i], "big") for i in range(ndim)]
    return np.frombuffer(raw, np.uint8, offset=4 + 4 * ndim).reshape(dims)


@functools.lru_cache(maxsize=2)
def fashion_mnist(split):
    p = "train" if split == "train" else "t10k"
    x = read_idx(os.path.join(DATA, "%s-images-idx3-ubyte.gz" % p))
    y = read_idx(os.path.join(DATA, "%s-labels-idx1-ubyte.gz" % p))
    return x, y


def binarize_ste(x, mode):
    """±1 with a straight-through gradient. mode 'where': where(x >= 0, 1, -1); 'sign': Sign."""
    b = torch.where(x >= 0, torch.ones_like(x), -torch.ones_like(x)) if mode == "where" \
        else torch.sign(x)
    return x + (b - x).detach()


class BinLinear(nn.Linear):
    def forward(self, x):
        return F.linear(x, binarize_ste(self.weight, "where"), self.bias)


class BinConv(nn.Conv2d):
    def forward(self, x):
        return F.conv2d(x, binarize_ste(self.weight, "where"), self.bias, 1, 1)


class Act(nn.Module):
    def __init__(self, mode):
        super().__init__()
        self.mode = mode

    def forward(self, x):
        return binarize_ste(x, self.mode)


def mlp(hidden=256, act="where"):
    """784-h-h-10 with batch norms after every layer, including the output (per-class affine)."""
    return nn.Sequential(nn.Flatten(), BinLinear(784, hidden, bias=True), nn.BatchNorm1d(hidden),
                         Act(act), BinLinear(hidden, hidden, bias=False), nn.BatchNorm1d(hidden),
                         Act(act), BinLinear(hidden, 10, bias=False), nn.BatchNorm1d(10))


def convnet(c=16, act="where"):
    """conv3x3(1→c) BN sign pool, conv3x3(c→2c) pool-before-BN sign, dense 128, dense 10."""
    return nn.Sequential(BinConv(1, c, 3, padding=1, bias=False), nn.BatchNorm2d(c), Act(act),
                         nn.MaxPool2d(2), BinConv(c, 2 * c, 3, padding=1, bias=True),
                         nn.MaxPool2d(2), nn.BatchNorm2d(2 * c), Act(act), nn.Flatten(),
                         BinLinear(2 * c * 7 * 7, 128, bias=False), nn.BatchNorm1d(128), Act(act),
                         BinLinear(128, 10, bias=True))


def train(net, steps=300, batch=128, seed=0, scale=None):
    """Adam, cross-entropy; inputs x = pixel/255 (or scale(x_uint8) → float tensor)."""
    torch.manual_seed(seed)
    x, y = fashion_mnist("train")
    rng = np.random.default_rng(seed)
    opt = torch.optim.Adam(net.parameters(), lr=3e-3)
    net.train()
    for _ in range(steps):
        idx = rng.integers(0, len(x), batch)
        xb = to_input(x[idx], scale)
        loss = F.cross_entropy(net(xb), torch.from_numpy(y[idx].astype(np.int64)))
        opt.zero_grad()
        loss.backward()
        opt.step()
    net.eval()
    return net


def to_input(x_uint8, scale=None):
    t = torch.from_numpy(x_uint8.astype(np.float32)).unsqueeze(1)
    return scale(t) if scale else t / 255.0


def torch_predict(net, x_uint8, scale=None, batch=2000):
    out = []
    with torch.no_grad():
        for i in range(0, len(x_uint8), batch):
            out.append(net(to_input(x_uint8[i:i + batch], scale)).argmax(1).numpy())
    return np.concatenate(out)


def export(net, path, shape=(1, 1, 28, 28)):
    torch.onnx.export(net, torch.zeros(*shape), path, input_names=["image"],
                      output_names=["scores"], dynamic_axes={"image": {0: "n"}, "scores": {0: "n"}},
                      opset_version=13, do_constant_folding=True)
