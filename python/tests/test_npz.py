"""The .npz route: arrays from a PyTorch state dict (float BN form) import to the same network;
export → import is bit-identical."""
import filecmp

import numpy as np

import bnn_torch as B
import rramsim


def state_to_npz(net, path):
    sd = {k: v.detach().numpy() for k, v in net.state_dict().items()}
    lin = [k[:-len(".weight")] for k in sd if k.endswith(".weight") and sd[k].ndim == 2]
    bns = [k[:-len(".running_mean")] for k in sd if k.endswith(".running_mean")]
    arrays = {"format": np.array("rramsim-npz-1"), "input_shape": np.array([1, 28, 28]),
              "n_layers": np.array(len(lin)), "input_scale": np.array("unit")}
    for i, (l, b) in enumerate(zip(lin, bns)):
        p = "layer%d." % i
        arrays[p + "kind"] = np.array("dense")
        arrays[p + "weight"] = np.where(sd[l + ".weight"] >= 0, 1, -1).astype(np.float32)
        if l + ".bias" in sd:
            arrays[p + "bias"] = sd[l + ".bias"]
        arrays[p + "bn_gamma"] = sd[b + ".weight"]
        arrays[p + "bn_beta"] = sd[b + ".bias"]
        arrays[p + "bn_mean"] = sd[b + ".running_mean"]
        arrays[p + "bn_var"] = sd[b + ".running_var"]
    np.savez(path, **arrays)


def test_npz_from_state_dict_agrees(mlp, test_set, tmpdir_s):
    net, onnx_path = mlp
    x, _ = test_set
    p = str(tmpdir_s / "mlp_state.npz")
    state_to_npz(net, p)
    model, report = rramsim.import_npz(p)
    assert report["output_affine"]
    pt = B.torch_predict(net, x)
    rr = rramsim.scores(model, x)[1]
    assert (pt != rr).sum() <= len(x) // 1000
    # and it is the very network the ONNX route builds (same thresholds, same weights)
    m2, _ = rramsim.import_onnx(onnx_path)
    for a, b in zip(model.to_layers(), m2.to_layers()):
        assert a.keys() == b.keys()
        for k in a:
            if k != "kind":
                assert np.array_equal(a[k], b[k]), k


def test_export_import_bit_identical(conv, mlp, tmpdir_s):
    for name, (_, onnx_path) in (("conv", conv), ("mlp", mlp)):
        m, _ = rramsim.import_onnx(onnx_path)
        a = str(tmpdir_s / (name + "_a.bnn"))
        m.save(a)
        z = str(tmpdir_s / (name + ".npz"))
        rramsim.export_npz(rramsim.Model.load(a), z)
        m2, _ = rramsim.import_npz(z)
        b = str(tmpdir_s / (name + "_b.bnn"))
        m2.save(b)
        assert filecmp.cmp(a, b, shallow=False)


def test_version1_models_round_trip(tmpdir_s):
    """A model without an output affine stays format version 1 (byte-identical to older
    builds); one with an affine is version 2; both load."""
    from conftest import run_cli
    p = str(tmpdir_s / "rand.bnn")
    r = run_cli("model", "random", "--arch", "784-32-10", "--seed", "3", "--out", p)
    assert r.returncode == 0, r.stderr
    with open(p, "rb") as f:
        assert f.read(12)[8:12] == (1).to_bytes(4, "little")
    m = rramsim.Model.load(p)
    assert m.output_affine is None
    z = str(tmpdir_s / "rand.npz")
    rramsim.export_npz(m, z)
    m2, _ = rramsim.import_npz(z)
    q = str(tmpdir_s / "rand2.bnn")
    m2.save(q)
    assert filecmp.cmp(p, q, shallow=False)
    L = m.to_layers()
    m3 = rramsim.Model.from_layers((1, 28, 28), L, output_affine=(np.arange(10) + 1.0,
                                                                    np.zeros(10)))
    q3 = str(tmpdir_s / "aff.bnn")
    m3.save(q3)
    with open(q3, "rb") as f:
        assert f.read(12)[8:12] == (2).to_bytes(4, "little")
    back = rramsim.Model.load(q3).output_affine
    assert np.array_equal(back[0], np.arange(10) + 1.0)
    # the affine changes predictions exactly as arg-max(scale·a + offset)
    x, _ = rramsim.load_dataset("fashion-mnist", "test", limit=500)
    s, p1 = rramsim.scores(m3, x)
    assert np.array_equal(p1, np.argmax(s * (np.arange(10) + 1.0), axis=1))
