"""Python results equal the CLI's for the same model, data and seed: eval (write + read errors,
reps), the BER sweep, the analytic prediction."""
import json

import numpy as np
import pytest

import rramsim
from conftest import run_cli

LIMIT = 3000


@pytest.fixture(scope="module")
def fcnn(mlp, tmpdir_s):
    m, _ = rramsim.import_onnx(mlp[1])
    p = str(tmpdir_s / "fcnn.bnn")
    m.save(p)
    x, y = rramsim.load_dataset("fashion-mnist", "test", limit=LIMIT)
    return m, p, x, y


def test_eval_equal(fcnn):
    m, p, x, y = fcnn
    r = run_cli("eval", "--model", p, "--data", "fashion-mnist", "--limit", LIMIT, "--ber-write",
                0.02, "--ber-read", 0.001, "--reps", 3, "--seed", 7, "--json", "--quiet")
    assert r.returncode == 0, r.stderr
    c = json.loads(r.stdout)
    py = rramsim.evaluate(m, x, y, ber_write=0.02, ber_read=0.001, reps=3, seed=7)
    assert np.allclose(py["per_rep"], c["accuracy"]["per_rep"], atol=5e-7)  # CLI prints %.6f
    assert py["flips"] == c["flips"]
    assert len(set(np.round(py["per_rep"], 6))) > 1  # the reps really differ


def test_sweep_equal(fcnn, tmpdir_s):
    m, p, x, y = fcnn
    csv = str(tmpdir_s / "sweep.csv")
    r = run_cli("eval", "--model", p, "--data", "fashion-mnist", "--limit", LIMIT, "--ber-sweep",
                "0,0.01,0.05", "--reps", 2, "--seed", 3, "--csv", csv, "--quiet")
    assert r.returncode == 0, r.stderr
    rows = [l.split(",") for l in open(csv).read().split()[1:]]
    py = rramsim.ber_sweep(m, x, y, [0, 0.01, 0.05], reps=2, seed=3)
    for row, mean, sd in zip(rows, py["mean"], py["std"]):
        assert abs(float(row[3]) - mean) < 5e-7 and abs(float(row[4]) - sd) < 5e-7
    assert py["mean"][2] < py["mean"][0]
    pd = pytest.importorskip("pandas")
    df = pd.DataFrame(py)  # results are dicts of columns pandas takes directly
    assert list(df["ber"]) == [0, 0.01, 0.05] and len(df["per_rep"][1]) == 2
    assert len(pd.DataFrame(rramsim.margins(m, x[:200], y[:200])["layers"])) == 3


def test_predict_equal(fcnn):
    m, p, x, y = fcnn
    r = run_cli("predict", "--model", p, "--data", "fashion-mnist", "--limit", LIMIT, "--ber",
                "0.001,0.01", "--json")
    assert r.returncode == 0, r.stderr
    c = json.loads(r.stdout)
    py = rramsim.predict(m, x, y, [0.001, 0.01])
    cli_acc = [pt["accuracy"] if isinstance(pt, dict) else pt
               for pt in c.get("points", c.get("predictions", []))]
    if not cli_acc:  # schema fallback: any list of numbers named accuracy
        cli_acc = c["accuracy"]
    assert np.allclose(py["accuracy"], cli_acc, atol=5e-6)


def test_margins_dict(fcnn):
    m, p, x, y = fcnn
    r = rramsim.margins(m, x[:500], y[:500], ber=0.01)
    assert len(r["layers"]) == 3 and r["layers"][0]["input_u8"] == 1
    assert 0 < r["accuracy"] <= 1
