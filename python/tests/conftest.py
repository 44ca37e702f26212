"""Shared fixtures: Fashion-MNIST test set, two PyTorch BNNs trained for a few hundred steps
(an MLP with an output batch norm and a small conv net) and their ONNX exports."""
import os
import subprocess
import sys

import numpy as np
import pytest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
torch = pytest.importorskip("torch")
import bnn_torch as B  # noqa: E402

torch.set_num_threads(2)


@pytest.fixture(scope="session")
def tmpdir_s(tmp_path_factory):
    return tmp_path_factory.mktemp("rramsim")


@pytest.fixture(scope="session")
def test_set():
    return B.fashion_mnist("test")


@pytest.fixture(scope="session")
def mlp(tmpdir_s):
    net = B.train(B.mlp(hidden=128, act="where"), steps=250, seed=1)
    path = str(tmpdir_s / "mlp.onnx")
    B.export(net, path)
    return net, path


@pytest.fixture(scope="session")
def mlp_sign(tmpdir_s):
    net = B.train(B.mlp(hidden=64, act="sign"), steps=120, seed=2)
    path = str(tmpdir_s / "mlp_sign.onnx")
    B.export(net, path)
    return net, path


@pytest.fixture(scope="session")
def conv(tmpdir_s):
    net = B.train(B.convnet(c=8), steps=150, batch=64, seed=3)
    path = str(tmpdir_s / "conv.onnx")
    B.export(net, path)
    return net, path


def cli_path():
    import rramsim
    return rramsim.cli_path()


def run_cli(*args):
    return subprocess.run([cli_path()] + [str(a) for a in args], capture_output=True, text=True)
