"""PyTorch-trained BNNs → torch.onnx.export → rramsim: predictions on the whole Fashion-MNIST
test set equal PyTorch's eval-mode predictions. A disagreement is accepted only when it is a tie
that float32 rounding decided: PyTorch in float64 (the exact real-number network, up to 1e-16)
then predicts what rramsim predicts; at most 0.1 % of the images may be such ties."""
import numpy as np
import torch

import bnn_torch as B
import rramsim


def agreement(net, model, x):
    pt = B.torch_predict(net, x)
    rr = rramsim.scores(model, x)[1]
    bad = np.nonzero(pt != rr)[0]
    ties = 0
    if len(bad):
        net64 = net.double()
        with torch.no_grad():
            p64 = net64(B.to_input(x[bad]).double()).argmax(1).numpy()
        net.float()
        ties = int((p64 == rr[bad]).sum())
        assert ties == len(bad), "%d disagreements are not float32 ties" % (len(bad) - ties)
    assert len(bad) <= len(x) // 1000, "%d disagreements" % len(bad)
    return pt, rr, len(bad)


def test_mlp_with_output_bn_agrees(mlp, test_set):
    net, path = mlp
    x, y = test_set
    model, report = rramsim.import_onnx(path)
    assert report["layers"] == ["dense", "dense", "dense"]
    assert report["output_affine"]  # the output BatchNorm1d is a per-class affine
    pt, rr, nbad = agreement(net, model, x)
    print("mlp: torch %.4f rramsim %.4f, %d disagreements (ties)" % ((pt == y).mean(),
                                                                      (rr == y).mean(), nbad))
    assert (rr == y).mean() > 0.7  # it learned something: the comparison is not between constants


def test_mlp_sign_activation_agrees(mlp_sign, test_set):
    net, path = mlp_sign
    model, _ = rramsim.import_onnx(path)
    agreement(net, model, test_set[0])


def test_convnet_agrees(conv, test_set):
    net, path = conv
    x, y = test_set
    model, report = rramsim.import_onnx(path)
    assert report["layers"] == ["conv3x3", "maxpool2", "conv3x3", "maxpool2", "dense", "dense"]
    pt, rr, nbad = agreement(net, model, x)
    print("conv: torch %.4f rramsim %.4f, %d disagreements (ties)" % ((pt == y).mean(),
                                                                       (rr == y).mean(), nbad))
    assert (rr == y).mean() > 0.6


def test_input_normalisation_folds(tmpdir_s, test_set):
    """A net trained on (x/255 - 0.286)/0.353 (in the graph) and one told via --input-scale."""
    x, y = test_set
    mean, std = 0.2860, 0.3530
    scale = lambda t: (t / 255.0 - mean) / std  # noqa: E731
    net = B.train(B.mlp(hidden=64), steps=100, seed=4, scale=scale)
    p = str(tmpdir_s / "norm.onnx")
    B.export(net, p)
    model, _ = rramsim.import_onnx(p, input_scale="norm:%g:%g" % (mean, std))
    pt = B.torch_predict(net, x, scale)
    rr = rramsim.scores(model, x)[1]
    assert (pt != rr).sum() <= len(x) // 1000
    # the same net with the scaling inside the graph, imported as raw pixels
    wrapped = torch.nn.Sequential(Scale(mean, std), net)
    p2 = str(tmpdir_s / "norm_in_graph.onnx")
    B.export(wrapped, p2)
    model2, _ = rramsim.import_onnx(p2, input_scale="raw")
    assert np.array_equal(rramsim.scores(model2, x)[1], rr)


class Scale(torch.nn.Module):
    def __init__(self, mean, std):
        super().__init__()
        self.mean, self.std = mean, std

    def forward(self, x):
        return (x / 255.0 - self.mean) / self.std
