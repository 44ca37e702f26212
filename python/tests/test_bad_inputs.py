"""Bad input to `rramsim model import`: one clear line on stderr, a non-zero exit, no output
file left behind."""
import os

import numpy as np
import onnx
import pytest
import torch
from onnx import numpy_helper

import bnn_torch as B
from conftest import run_cli


def refused(tmpdir_s, src, *extra, code=1, words=()):
    out = str(tmpdir_s / "refused.bnn")
    if os.path.exists(out):
        os.remove(out)
    r = run_cli("model", "import", src, "--out", out, *extra)
    assert r.returncode == code, r.stdout + r.stderr
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1, r.stderr
    assert lines[0].startswith("rramsim model: "), lines[0]
    for w in words:
        assert w in lines[0], (w, lines[0])
    assert not os.path.exists(out)
    assert not [f for f in os.listdir(str(tmpdir_s)) if f.startswith("refused.bnn.tmp")]
    return lines[0]


def test_float_relu_net(tmpdir_s):
    net = torch.nn.Sequential(torch.nn.Flatten(), torch.nn.Linear(784, 32), torch.nn.ReLU(),
                              torch.nn.Linear(32, 10)).eval()
    p = str(tmpdir_s / "relu.onnx")
    B.export(net, p)
    refused(tmpdir_s, p, words=("Gemm", "not binary"))


def test_unsupported_op(tmpdir_s):
    net = B.mlp(hidden=16)
    net[3] = torch.nn.Tanh()  # a float activation where the sign should be
    p = str(tmpdir_s / "tanh.onnx")
    B.export(net.eval(), p)
    refused(tmpdir_s, p, words=("Tanh", "unsupported op", "Gemm"))


def test_unsupported_conv_kernel(tmpdir_s):
    """A 5x5 convolution with ±1 weights: refused, naming the supported 3x3 form."""
    net = torch.nn.Sequential(torch.nn.Conv2d(1, 4, 5, padding=2, bias=False))
    with torch.no_grad():
        net[0].weight.copy_(torch.sign(net[0].weight) + (net[0].weight == 0).float())
    p = str(tmpdir_s / "conv5.onnx")
    B.export(net.eval(), p)
    refused(tmpdir_s, p, words=("Conv", "3x3"))


def test_wrong_input_shape(tmpdir_s, mlp):
    refused(tmpdir_s, mlp[1], "--input-shape", "1,32,32", words=("--input-shape", "does not fit"))


def test_truncated_and_non_onnx(tmpdir_s, mlp):
    data = open(mlp[1], "rb").read()
    t = str(tmpdir_s / "trunc.onnx")
    open(t, "wb").write(data[: len(data) // 2])
    refused(tmpdir_s, t, words=("trunc.onnx",))
    g = str(tmpdir_s / "text.onnx")
    open(g, "w").write("this is not a network\n")
    refused(tmpdir_s, g, words=("not an ONNX model",))


def test_nan_weights(tmpdir_s, mlp):
    m = onnx.load(mlp[1])
    for init in m.graph.initializer:
        a = numpy_helper.to_array(init)
        if a.ndim == 2:
            a = a.astype(np.float32).copy()
            a[0, 0] = np.nan
            init.CopyFrom(numpy_helper.from_array(a, init.name))
            break
    p = str(tmpdir_s / "nan.onnx")
    onnx.save(m, p)
    refused(tmpdir_s, p, words=("NaN",))


def npz_ok(tmpdir_s):
    w0 = np.where(np.random.default_rng(0).normal(size=(8, 784)) >= 0, 1, -1).astype(np.int8)
    w1 = np.ones((10, 8), np.int8)
    return {"format": np.array("rramsim-npz-1"), "input_shape": np.array([1, 28, 28]),
            "n_layers": np.array(2), "layer0.kind": np.array("dense"), "layer0.weight": w0,
            "layer0.threshold": np.zeros(8, np.int32), "layer0.direction": np.ones(8, np.int8),
            "layer1.kind": np.array("dense"), "layer1.weight": w1}


def test_npz_missing_and_wrong_dtype(tmpdir_s):
    ok = npz_ok(tmpdir_s)
    p = str(tmpdir_s / "ok.npz")
    np.savez(p, **ok)
    out = str(tmpdir_s / "ok.bnn")
    r = run_cli("model", "import", p, "--out", out)
    assert r.returncode == 0, r.stderr
    bad = dict(ok)
    del bad["layer0.threshold"]
    p = str(tmpdir_s / "missing.npz")
    np.savez(p, **bad)
    refused(tmpdir_s, p, words=("missing array 'layer0.threshold'",))
    bad = dict(ok)
    bad["layer0.threshold"] = np.zeros(8, np.float32)
    p = str(tmpdir_s / "dtype.npz")
    np.savez(p, **bad)
    refused(tmpdir_s, p, words=("layer0.threshold", "integer"))
    bad = dict(ok)
    bad["layer0.weight"] = np.array(["a"] * 8)
    p = str(tmpdir_s / "strw.npz")
    np.savez(p, **bad)
    refused(tmpdir_s, p, words=("layer0.weight", "numeric"))


def test_usage_errors(tmpdir_s, mlp):
    r = run_cli("model", "import", mlp[1])
    assert r.returncode == 2 and "--out" in r.stderr
    refused(tmpdir_s, mlp[1], "--input-scale", "bogus", words=("--input-scale",))
