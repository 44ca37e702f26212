"""bench/bench_python.py — the Python binding's costs, each as a ratio against a baseline measured
in the same run:

1. evaluate overhead: rramsim.evaluate of the FCNN 784-2048-2048-10 over the 10,000 Fashion-MNIST
   test images vs `rramsim eval` on the same model and images (its own timing of the same loop,
   10000 / images_per_s), and vs the same C loop called bare through cffi; the Python overhead is
   evaluate − bare loop (argument checks, array allocation, the cffi call), as a share of the CLI's
   time. Target: <= 5 %. Runs are interleaved and medians reported (shared machines are noisy).
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

import numpy as np

import rramsim


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--reps", type=int, default=9, help="timed repetitions (medians)")
    ap.add_argument("--threads", type=int, default=2)
    a = ap.parse_args()
    cli = rramsim.cli_path()
    d = tempfile.mkdtemp(prefix="bench-python-")
    model_path = os.path.join(d, "fcnn.bnn")
    subprocess.run([cli, "model", "random", "--arch", "784-2048-2048-10", "--seed", "1", "--out",
                    model_path], check=True, capture_output=True)
    m = rramsim.Model.load(model_path)
    x, y = rramsim.load_dataset("fashion-mnist", "test")
    # Interleaved, so machine load hits both sides alike; medians over the reps.
    from rramsim._native import ffi, lib
    ep = ffi.new("bnn_error_params *", lib.bnn_error_default_params())
    acc, pred = np.zeros(1), np.zeros(len(y), np.uint8)
    flips = np.zeros(2, np.uint64)
    xc, yc = np.ascontiguousarray(x.reshape(len(x), -1)), np.ascontiguousarray(y)
    t_cli, t_py, t_c, c_py, c_c = [], [], [], [], []
    for _ in range(a.reps):
        r = subprocess.run([cli, "eval", "--model", model_path, "--data", "fashion-mnist",
                            "--threads", str(a.threads), "--json", "--quiet"], check=True,
                           capture_output=True, text=True)
        j = json.loads(r.stdout)
        t_cli.append(j["images"] / j["images_per_s"])
        t0, c0 = time.perf_counter(), time.process_time()
        res = rramsim.evaluate(m, x, y, threads=a.threads)
        t_py.append(time.perf_counter() - t0)
        c_py.append(time.process_time() - c0)
        assert abs(res["accuracy"]["mean"] - j["accuracy"]["mean"]) < 1e-6
        t0, c0 = time.perf_counter(), time.process_time()  # the bare C loop
        lib.rrpy_evaluate(m._ptr, ffi.from_buffer("uint8_t[]", xc), ffi.from_buffer("uint8_t[]", yc),
                          len(y), ep, 1, a.threads, 0, 0, ffi.from_buffer("double[]", acc),
                          ffi.from_buffer("uint8_t[]", pred), ffi.NULL,
                          ffi.from_buffer("uint64_t[]", flips))
        t_c.append(time.perf_counter() - t0)
        c_c.append(time.process_time() - c0)
    c, p, b = (float(np.median(v)) for v in (t_cli, t_py, t_c))
    d_wall = float(np.median(np.array(t_py) - np.array(t_c)))  # paired: same load for both
    d_cpu = float(np.median(np.array(c_py) - np.array(c_c)))
    print("evaluate FCNN 784-2048-2048-10, 10000 images, %d threads (medians of %d, interleaved):"
          % (a.threads, a.reps))
    print("  CLI (its own loop timing)        %.4f s" % c)
    print("  rramsim.evaluate                 %.4f s   ratio to CLI %.3f" % (p, p / c))
    print("  the C loop called bare from cffi %.4f s   ratio to CLI %.3f" % (b, b / c))
    print("  Python overhead, evaluate - bare C loop (paired medians): wall %+.1f %%, CPU %+.1f %% "
          "of the CLI's time (target <= 5 %%)" % (100 * d_wall / c, 100 * d_cpu / c))

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
    ti, tc = [], []
    for _ in range(a.reps):
        t0, c0 = time.perf_counter(), time.process_time()
        mm, _ = rramsim.import_onnx(onnx_path)
        mm.save(os.path.join(d, "imported.bnn"))
        ti.append(time.perf_counter() - t0)
        tc.append(time.process_time() - c0)
    ti, tc = float(np.median(ti)), float(np.median(tc))
    print("import_onnx 784-2048-2048-10 (%.1f MB ONNX) + save (median of %d): wall %.3f s, "
          "CPU %.3f s (single-threaded: the wall time on an idle core); ratio to the 2 s target: "
          "wall %.2f, CPU %.2f" % (os.path.getsize(onnx_path) / 1e6, a.reps, ti, tc, ti / 2.0,
                                   tc / 2.0))
    print("load average %.1f on %d CPUs" % (os.getloadavg()[0], os.cpu_count()))


if __name__ == "__main__":
    main()
