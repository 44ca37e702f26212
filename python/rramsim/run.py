"""Running models: evaluate (Monte-Carlo bit errors), BER sweeps, scores, analytic prediction,
margin metrics — in process through libbnn/libbet; `run_system` and `simulate` — the SystemC
memory system, in a child `rramsim` process (SystemC elaborates its module hierarchy once per
process, so every call gets a fresh process; results are read back from the files it writes).
"""
import json
import os
import shutil
import subprocess
import tempfile

import numpy as np

from ._native import HAVE_BET, check, ffi, lib
from .errors import RramsimError

KERNELS = {"auto": 0, "ref": 1, "avx2": 2, "avx512": 3}


def _default_threads():
    n = os.cpu_count() or 1
    return max(1, min(8, n))  # as the CLI: online CPUs, at most 8


def _images(model, images):
    """uint8 C-contiguous (n, ...) images, HWC per image, checked against the model."""
    x = np.asarray(images)
    if x.dtype != np.uint8:
        raise RramsimError("images: dtype %s, expected uint8 pixels (0..255)" % x.dtype)
    c, h, w = model.input_shape
    n = x.shape[0] if x.ndim else 0
    per = int(np.prod(x.shape[1:])) if x.ndim > 1 else 0
    if per != c * h * w:
        raise RramsimError("images: %s values per image, the model takes %dx%dx%d (h×w×c) = %d"
                           % (per, h, w, c, c * h * w))
    return np.ascontiguousarray(x.reshape(n, -1)), n


def _labels(model, labels, n):
    y = np.ascontiguousarray(np.asarray(labels))
    if y.shape != (n,):
        raise RramsimError("labels: shape %s, expected (%d,)" % (list(y.shape), n))
    if y.dtype.kind not in "iu" or (n and (y.min() < 0 or y.max() >= model.n_classes)):
        raise RramsimError("labels: expected integers in 0..%d" % (model.n_classes - 1))
    return y.astype(np.uint8)


def _kernel(kernel):
    if kernel not in KERNELS:
        raise RramsimError("kernel: expected one of %s, got %r" % (", ".join(KERNELS), kernel))
    if not lib.bnn_kernel_available(KERNELS[kernel]):
        raise RramsimError("kernel %s: not supported by this CPU" % kernel)
    return KERNELS[kernel]


def _layer_mask(model, error_layers):
    if error_layers is None:
        return (1 << 64) - 1
    nw = sum(1 for L in model.layer_table() if L["weight_layer_index"] >= 0)
    mask = 0
    for v in error_layers:
        if not 0 <= int(v) < nw:
            raise RramsimError("error_layers: %s: the model has weight layers 0..%d" % (v, nw - 1))
        mask |= 1 << int(v)
    return mask


def _check_rate(name, p):
    if not 0 <= p <= 0.5:
        raise RramsimError("%s: %g outside [0, 0.5]" % (name, p))


def evaluate(model, images, labels, ber_write=0.0, ber_read=0.0, ber_write01=None,
             ber_write10=None, reps=1, seed=1, error_layers=None, threads=None, kernel="auto",
             weight_reuse=0):
    """Accuracy of `model` on uint8 images (n, H, W[, C]) or (n, H·W·C) (HWC) with labels (n,),
    under persistent write errors and transient read errors, `reps` Monte-Carlo repetitions.
    Same loop, seeds and results as `rramsim eval` (apps/cmd_eval.c) for the same model, images,
    rates and seed. Returns a dict: accuracy (mean, std, min, max), per_rep (array), pred (array of
    the last rep's predictions), scores (int32 (n, classes), last rep), flips (write, read)."""
    x, n = _images(model, images)
    y = _labels(model, labels, n)
    if not 1 <= int(reps) <= 100000:
        raise RramsimError("reps: %s outside 1..100000" % reps)
    ep = lib.bnn_error_default_params()
    w01 = ber_write if ber_write01 is None else ber_write01
    w10 = ber_write if ber_write10 is None else ber_write10
    for nm, p in (("ber_write01", w01), ("ber_write10", w10), ("ber_read", ber_read)):
        _check_rate(nm, p)
    ep.write_p01, ep.write_p10 = w01, w10
    ep.read_p01 = ep.read_p10 = ber_read
    ep.seed = int(seed)
    ep.layer_mask = _layer_mask(model, error_layers)
    threads = _default_threads() if threads is None else int(threads)
    acc = np.zeros(int(reps))
    pred = np.zeros(n, np.uint8)
    scores = np.zeros((n, model.n_classes), np.int32)
    flips = np.zeros(2, np.uint64)
    pe = ffi.new("bnn_error_params *", ep)
    check(lib.rrpy_evaluate(model._ptr, ffi.from_buffer("uint8_t[]", x),
                            ffi.from_buffer("uint8_t[]", y), n, pe, int(reps), threads,
                            _kernel(kernel), int(weight_reuse), ffi.from_buffer("double[]", acc),
                            ffi.from_buffer("uint8_t[]", pred),
                            ffi.from_buffer("int32_t[]", scores),
                            ffi.from_buffer("uint64_t[]", flips)), "evaluate")
    sd = float(np.std(acc, ddof=1)) if len(acc) > 1 else 0.0
    return {"accuracy": {"mean": float(acc.mean()), "std": sd, "min": float(acc.min()),
                         "max": float(acc.max())},
            "per_rep": acc, "pred": pred, "scores": scores,
            "flips": {"write": int(flips[0]), "read": int(flips[1])}, "images": n,
            "reps": int(reps), "seed": int(seed)}


def scores(model, images, threads=None):
    """Error-free integer class scores (n, classes) and predictions (n,) (output affine applied
    to the predictions when the model has one)."""
    x, n = _images(model, images)
    r = evaluate(model, x, np.zeros(n, np.uint8), threads=threads)
    return r["scores"], r["pred"]


class _Dataset:
    """A bnn_dataset view of NumPy arrays (kept alive with it)."""

    def __init__(self, model, images, labels):
        x, n = _images(model, images)
        y = _labels(model, labels, n)
        c, h, w = model.input_shape
        self.x, self.y = x, y
        self.ds = ffi.new("bnn_dataset *")
        self.ds.n, self.ds.c, self.ds.h, self.ds.w = n, c, h, w
        self.ds.n_classes = model.n_classes
        self.ds.images = ffi.from_buffer("uint8_t[]", x)
        self.ds.labels = ffi.from_buffer("uint8_t[]", y)
        self.ds.name = b"numpy"


def ber_sweep(model, images, labels, bers, reps=1, seed=1, error_layers=None, threads=None,
              kernel="auto", weight_reuse=0):
    """Monte-Carlo accuracy vs write BER (both directions; bnn_mc_sweep, as
    `rramsim eval --ber-sweep`). Returns a dict of columns (pandas.DataFrame(result) works):
    ber, reps, seed, mean, std, min, max, per_rep (one array of the reps' accuracies per BER)."""
    b = np.ascontiguousarray(np.asarray(bers, np.float64).reshape(-1))
    for v in b:
        _check_rate("bers", v)
    d = _Dataset(model, images, labels)
    p = lib.bnn_mc_default_params()
    p.reps, p.seed, p.layer_mask = int(reps), int(seed), _layer_mask(model, error_layers)
    p.infer.threads = _default_threads() if threads is None else int(threads)
    p.infer.kernel = _kernel(kernel)
    p.infer.weight_reuse = int(weight_reuse)
    st = ffi.new("bnn_mc_stats[]", len(b))
    per = np.zeros((len(b), int(reps)))
    pp = ffi.new("bnn_mc_params *", p)
    check(lib.bnn_mc_sweep(model._ptr, d.ds, ffi.from_buffer("double[]", b), len(b), pp,
                           ffi.NULL, ffi.NULL, st, ffi.from_buffer("double[]", per), ffi.NULL),
          "ber_sweep")
    return {"ber": b, "reps": np.full(len(b), int(reps)), "seed": np.full(len(b), int(seed)),
            "mean": np.array([s.mean for s in st]), "std": np.array([s.std for s in st]),
            "min": np.array([s.min for s in st]), "max": np.array([s.max for s in st]),
            "per_rep": list(per)}


def predict(model, images, labels, bers, threads=1, stratified_mean=True):
    """Analytic accuracy at each weight BER without fault injection (libbet's
    bet_predict_accuracy, as `rramsim predict`). Returns {'ber': array, 'accuracy': array}.
    For a model with an output affine the prediction uses the raw integer scores (the affine is
    not modelled)."""
    if not HAVE_BET:
        raise RramsimError("predict: this build has no libbet (RRAMSIM_BUILD_MODELS=OFF)")
    b = np.ascontiguousarray(np.asarray(bers, np.float64).reshape(-1))
    for v in b:
        _check_rate("bers", v)
    d = _Dataset(model, images, labels)
    p = lib.bet_predict_default_params()
    p.threads, p.stratified_mean = int(threads), int(bool(stratified_mean))
    acc = np.zeros(len(b))
    pp = ffi.new("bet_predict_params *", p)
    check(lib.bet_predict_accuracy(model._ptr, d.ds, ffi.from_buffer("double[]", b), len(b), pp,
                                   ffi.from_buffer("double[]", acc)), "predict")
    return {"ber": b, "accuracy": acc}


def margins(model, images, labels, ber=0.01):
    """BET margin metrics (libbet's bet_metric_compute, as `rramsim metric`): a dict with
    accuracy, hidden_mn_mean, hidden_pflip_mean, ber and 'layers' — a list of per-weight-layer
    dicts (pandas.DataFrame(result['layers']))."""
    if not HAVE_BET:
        raise RramsimError("margins: this build has no libbet (RRAMSIM_BUILD_MODELS=OFF)")
    _check_rate("ber", ber)
    d = _Dataset(model, images, labels)
    r = ffi.new("bet_metric_result *")
    check(lib.bet_metric_compute(model._ptr, d.ds, float(ber), r), "margins")
    try:
        layers = []
        for i in range(r.n_layers):
            L = r.layers[i]
            row = {k: getattr(L, k) for k in ("layer", "neurons", "positions", "fan_in", "is_conv",
                                              "input_u8", "is_output", "m_mean", "m_q10", "m_q50",
                                              "m_q90", "mn_mean", "pflip_mean")}
            for j, k in enumerate((1, 2, 4, 8)):
                row["frac_le_%d" % k] = L.frac_le[j]
            layers.append(row)
        return {"accuracy": r.accuracy, "hidden_mn_mean": r.hidden_mn_mean,
                "hidden_pflip_mean": r.hidden_pflip_mean, "ber": r.ber, "n_images": r.n_images,
                "layers": layers}
    finally:
        lib.bet_metric_result_free(r)


def load_dataset(spec="fashion-mnist", split="test", limit=0):
    """(images uint8 (n, H, W, C), labels uint8 (n,)) read by libbnn (the CLI's --data: a known
    name under $RRAMSIM_DATA_DIR or /usr/share/datasets, or a directory)."""
    ds = ffi.new("bnn_dataset *")
    check(lib.bnn_dataset_open(ds, spec.encode(), split.encode(), int(limit)), "dataset")
    try:
        n, c, h, w = ds.n, ds.c, ds.h, ds.w
        x = np.frombuffer(ffi.buffer(ds.images, n * h * w * c), np.uint8).reshape(n, h, w, c).copy()
        y = np.frombuffer(ffi.buffer(ds.labels, n), np.uint8).copy()
    finally:
        lib.bnn_dataset_free(ds)
    return x, y


# ---- the SystemC memory system, in a child process --------------------------------------------
def cli_path():
    """The rramsim executable: $RRAMSIM_CLI, the copy installed in the package, the checkout's
    build/release/apps/rramsim, or `rramsim` on PATH."""
    here = os.path.dirname(os.path.abspath(__file__))
    repo = os.path.dirname(os.path.dirname(here))
    for p in (os.environ.get("RRAMSIM_CLI"), os.path.join(here, "_lib", "rramsim"),
              os.path.join(repo, "build", "release", "apps", "rramsim"), shutil.which("rramsim")):
        if p and os.path.isfile(p) and os.access(p, os.X_OK):
            return p
    raise RramsimError("the rramsim executable was not found: build it (cmake --build "
                       "build/release --target rramsim) or set RRAMSIM_CLI")


def cli(*args, check_rc=True):
    """Runs `rramsim ARGS...` in a child process; returns CompletedProcess (text)."""
    r = subprocess.run([cli_path()] + [str(a) for a in args], capture_output=True, text=True)
    if check_rc and r.returncode != 0:
        raise RramsimError("rramsim %s: exit %d: %s" % (" ".join(map(str, args)), r.returncode,
                                                       r.stderr.strip().splitlines()[-1]
                                                       if r.stderr.strip() else ""))
    return r


def _with_model_file(model, fn):
    if isinstance(model, (str, os.PathLike)):
        return fn(str(model))
    with tempfile.TemporaryDirectory(prefix="rramsim-") as d:
        p = os.path.join(d, "model.bnn")
        model.save(p)
        return fn(p)


def run_system(model, *args, out=None):
    """`rramsim run --model M ARGS... --out DIR` in a child process (the model programmed into a
    simulated RRAM system: accuracy, energy, time). Returns {'summary': dict, 'stats': dict,
    'out': DIR}. model: a Model or a model file path; args: further CLI options, e.g.
    ('--system', 'configs/systems/low_power.json', '--limit', 100)."""
    def go(path):
        d = out or tempfile.mkdtemp(prefix="rramsim-run-")
        cli("run", "--model", path, *args, "--out", d)
        res = {"out": d}
        for k in ("summary", "stats"):
            f = os.path.join(d, k + ".json")
            if os.path.isfile(f):
                with open(f) as fh:
                    res[k] = json.load(fh)
        return res
    return _with_model_file(model, go)


def simulate(*args):
    """`rramsim sim ARGS... --stats FILE` (synthetic traffic on the memory system) in a child
    process; returns the stats JSON as a dict."""
    with tempfile.TemporaryDirectory(prefix="rramsim-sim-") as d:
        f = os.path.join(d, "stats.json")
        cli("sim", *args, "--stats", f)
        with open(f) as fh:
            return json.load(fh)
