"""bench/bench_python.py — the Python binding's costs, each as a ratio against a baseline measured
in the same run:

1. evaluate overhead: rramsim.evaluate of the FCNN 784-2048-2048-10 over the 10,000 Fashion-MNIST
   test images vs `rramsim eval` on the same model and images (its own timing of the same loop,
   10000 / images_per_s). Target: Python overhead <= 5 % of the CLI's time.
2. ONNX import: rramsim.import_onnx of a 784-2048-2048-10 BNN (torch.onnx.export of binarised
   weights, batch norms, output batch norm) + save. Target: <= 2 s.

Run: PYTHONPATH=python RRAMSIM_LIB=build/release/python/librramsim.so \
     RRAMSIM_CLI=build/release/apps/rramsim /usr/bin/python3 bench/bench_python.py [--reps N]
The FCNN is a random-weight model (`rramsim model random`): timing does not depend on weights.
Both sides use the same thread count (--threads, default 2).
"""
import argparse
import json
import os
import subprocess
import sys
import tempfile
import time

import rramsim


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--reps", type=int, default=5, help="timed repetitions (best of)")
    ap.add_argument("--threads", type=int, default=2)
    a = ap.parse_args()
    cli = rramsim.cli_path()
    d = tempfile.mkdtemp(prefix="bench-python-")
    model_path = os.path.join(d, "fcnn.bnn")
    subprocess.run([cli, "model", "random", "--arch", "784-2048-2048-10", "--seed", "1", "--out",
                    model_path], check=True, capture_output=True)
    m = rramsim.Model.load(model_path)
    x, y = rramsim.load_dataset("fashion-mnist", "test")
    t_cli, t_py = [], []
    for _ in range(a.reps):
        r = subprocess.run([cli, "eval", "--model", model_path, "--data", "fashion-mnist",
                            "--threads", str(a.threads), "--json", "--quiet"], check=True,
                           capture_output=True, text=True)
        j = json.loads(r.stdout)
        t_cli.append(j["images"] / j["images_per_s"])
        t0 = time.perf_counter()
        res = rramsim.evaluate(m, x, y, threads=a.threads)
        t_py.append(time.perf_counter() - t0)
        assert abs(res["accuracy"]["mean"] - j["accuracy"]["mean"]) < 1e-6
    c, p = min(t_cli), min(t_py)
    print("evaluate FCNN 784-2048-2048-10, 10000 images, %d threads (best of %d):" % (a.threads,
                                                                                    a.reps))
    print("  CLI    %.4f s" % c)
    print("  Python %.4f s" % p)
    print("  ratio  %.3f  (Python overhead %+.1f %% of the CLI's time; target <= 5 %%)"
          % (p / c, 100 * (p / c - 1)))

    import torch
    sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "python",
                                    "tests"))
    import bnn_torch as B
    torch.manual_seed(0)
    net = torch.nn.Sequential(torch.nn.Flatten(), B.BinLinear(784, 2048, bias=False),
                              torch.nn.BatchNorm1d(2048), B.Act("where"),
                              B.BinLinear(2048, 2048, bias=False), torch.nn.BatchNorm1d(2048),
                              B.Act("where"), B.BinLinear(2048, 10, bias=False),
                              torch.nn.BatchNorm1d(10)).eval()
    onnx_path = os.path.join(d, "fcnn.onnx")
    B.export(net, onnx_path)
    ti = []
    for _ in range(a.reps):
        t0 = time.perf_counter()
        mm, _ = rramsim.import_onnx(onnx_path)
        mm.save(os.path.join(d, "imported.bnn"))
        ti.append(time.perf_counter() - t0)
    print("import_onnx 784-2048-2048-10 (%.1f MB ONNX) + save: %.3f s (best of %d); ratio to the "
          "2 s target %.2f" % (os.path.getsize(onnx_path) / 1e6, min(ti), a.reps, min(ti) / 2.0))


if __name__ == "__main__":
    main()
