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


def _trained(tmpdir_s, name, net, **train):
    """(net, path): the network trained (bnn_torch.train's options) and exported to name.onnx."""
    net = B.train(net, **train)
    path = str(tmpdir_s / (name + ".onnx"))
    B.export(net, path)
    return net, path


@pytest.fixture(scope="session")
def mlp(tmpdir_s):
    return _trained(tmpdir_s, "mlp", B.mlp(hidden=128, act="where"), steps=250, seed=1)


@pytest.fixture(scope="session")
def mlp_sign(tmpdir_s):
    return _trained(tmpdir_s, "mlp_sign", B.mlp(hidden=64, act="sign"), steps=120, seed=2)


@pytest.fixture(scope="session")
def conv(tmpdir_s):
    return _trained(tmpdir_s, "conv", B.convnet(c=8), steps=150, batch=64, seed=3)


def cli_path():
    import rramsim
    return rramsim.cli_path()


def run_cli(*args):
    return subprocess.run([cli_path()] + [str(a) for a in args], capture_output=True, text=True)
