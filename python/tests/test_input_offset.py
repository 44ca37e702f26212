"""The input offset (model format version 3): a net that saw x = s·(pixel − q) — [−1, 1] pixels
(--input-scale pm1, q = 127.5) or a normalisation (norm:M:S, q = 255·M) — imports with q as the
model's input offset, not folded into the first layer's thresholds; the engine decides as the
float forward pass on the encoded pixels; the .npz route round-trips it bit for bit."""
import filecmp

import numpy as np

import rramsim


def float_npz(path, input_scale, seed, sizes=(784, 48, 32, 10)):
    """A dense BNN in the npz float form: ±1 weights, a batch norm per hidden layer."""
    rng = np.random.default_rng(seed)
    arrays = {"format": np.array("rramsim-npz-1"), "input_shape": np.array([1, 28, 28]),
              "n_layers": np.array(len(sizes) - 1), "input_scale": np.array(input_scale)}
    net = []
    for i in range(len(sizes) - 1):
        p = "layer%d." % i
        w = np.where(rng.random((sizes[i + 1], sizes[i])) < 0.5, 1.0, -1.0)
        arrays[p + "kind"] = np.array("dense")
        arrays[p + "weight"] = w.astype(np.float32)
        L = {"w": w}
        if i < len(sizes) - 2:
            spread = np.sqrt(sizes[i])
            L["g"] = rng.normal(0, 1, sizes[i + 1]) + 0.1
            L["b"] = rng.normal(0, 0.5, sizes[i + 1])
            L["mu"] = rng.normal(0, spread, sizes[i + 1])
            L["var"] = rng.uniform(0.5, 2, sizes[i + 1]) * sizes[i]
            for k, kk in (("g", "bn_gamma"), ("b", "bn_beta"), ("mu", "bn_mean"),
                          ("var", "bn_var")):
                arrays[p + kk] = L[k]
        net.append(L)
    np.savez(path, **arrays)
    return net


def float_predict(net, x):
    """float64 forward on encoded inputs x (n, 784): batch norm (eps 1e-5) + sign(≥ 0)."""
    h = x
    for L in net[:-1]:
        z = h @ L["w"].T
        z = L["g"] * (z - L["mu"]) / np.sqrt(L["var"] + 1e-5) + L["b"]
        h = np.where(z >= 0, 1.0, -1.0)
    return np.argmax(h @ net[-1]["w"].T, axis=1)


def test_pm1_and_norm_import_as_input_offset(tmpdir_s):
    x, _ = rramsim.load_dataset("fashion-mnist", "test", limit=2000)
    p = x.reshape(len(x), -1).astype(np.float64)
    for spec, enc, want_q in (("pm1", 2 * p / 255 - 1, 127.5),
                              ("norm:0.286:0.353", (p / 255 - 0.286) / 0.353, 255 * 0.286)):
        path = str(tmpdir_s / ("off_%s.npz" % spec.split(":")[0]))
        net = float_npz(path, spec, seed=3)
        model, _ = rramsim.import_npz(path)
        off = model.input_offset
        assert off is not None
        q = off["num"][0] / 2.0**off["shift"]
        if spec == "pm1":
            assert (off["shift"], int(off["num"][0])) == (1, 255)  # exact
        assert abs(q - want_q) <= 2.0**-(off["shift"] + 1)
        assert model.info()["input_offset"]["pixel_offset"] == [q]
        pred = rramsim.scores(model, x)[1]
        ref = float_predict(net, enc)
        assert (pred != ref).sum() == 0, "%s: %d disagreements" % (spec, (pred != ref).sum())
        assert len(set(ref.tolist())) > 3  # the comparison is not between constants
        # version 3 on disk; export → import is bit-identical
        a = str(tmpdir_s / "off_a.bnn")
        model.save(a)
        with open(a, "rb") as f:
            assert f.read(12)[8:12] == (3).to_bytes(4, "little")
        z = str(tmpdir_s / "off.npz")
        rramsim.export_npz(rramsim.Model.load(a), z)
        m2, _ = rramsim.import_npz(z)
        b = str(tmpdir_s / "off_b.bnn")
        m2.save(b)
        assert filecmp.cmp(a, b, shallow=False)
        # to_layers → from_layers keeps it too
        m3 = rramsim.Model.from_layers((1, 28, 28), model.to_layers(),
                                       output_scale=model.output_scale,
                                       provenance=model.provenance)
        c = str(tmpdir_s / "off_c.bnn")
        m3.save(c)
        assert filecmp.cmp(a, c, shallow=False)


def test_unit_scale_has_no_offset(tmpdir_s):
    path = str(tmpdir_s / "unit.npz")
    float_npz(path, "unit", seed=4)
    model, _ = rramsim.import_npz(path)
    assert model.input_offset is None
    assert model.info()["input_offset"] is None
