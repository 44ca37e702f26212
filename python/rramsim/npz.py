"""The NumPy .npz route: import a BNN from arrays, export a model as arrays.

Schema (format "rramsim-npz-1"; every key is a NumPy array; strings are 0-d unicode arrays):

  format            "rramsim-npz-1"
  input_shape       int (3,): C, H, W of the 8-bit input images
  n_layers          int scalar
  layer<i>.kind     "dense" | "conv3x3" | "maxpool2"                       (i = 0 .. n_layers-1)
  layer<i>.weight   dense (out, in) / conv3x3 (out, in_c, 3, 3), PyTorch layout (a dense layer
                    after a spatial tensor reads it in CHW flatten order), integer or float,
                    values exactly ±1
  hidden weight layers, either the engine's integer rule (what export writes):
    layer<i>.threshold  int32 (out,)  and  layer<i>.direction  int8 (out,) ∈ {−1, +1}
      (+1 iff d > 0 ? a ≥ t : a ≤ t; the first layer's a is Σ w·pixel over 0..255 pixels)
    the first layer may add the input offset (model format 3; what export writes for one):
    layer0.input_offset_shift  int scalar k,  layer0.input_offset_num  int64 (C,),
    layer0.input_offset_threshold  int64 (out,)  (rramsim.Model's input_offset; its
    layer0.threshold is then the clean weights' and is not read)
  or the float batch norm (folded exactly as rramsim.fold documents):
    layer<i>.bn_gamma, .bn_beta, .bn_mean, .bn_var  float (out,), optional layer<i>.bn_eps
      (scalar, default 1e-5) and layer<i>.bias (out,); the first layer sees x = s·pixel + o
      given by `input_scale` (string, as the CLI's --input-scale; default "unit"); an offset
      o (x = s·(pixel − q), q = −o/s) on a dense first layer becomes the model's input offset
  the output layer (the last; dense): optional layer<i>.bias and .bn_* (a per-class affine), or
    output_affine_scale, output_affine_offset  float64 (n_classes,)
  output_scale      float scalar (optional, default 1)
  provenance        string (optional)

Refused (RramsimError naming the key): a missing key, a wrong dtype (strings where numbers are
expected, non-integer thresholds, ...), a wrong shape, NaN/inf, weights other than ±1.
"""
import json
import os
import zipfile

import numpy as np

from . import fold
from .errors import RramsimError
from .model import Model

FORMAT = "rramsim-npz-1"


class _Npz:
    def __init__(self, path):
        self.path = str(path)
        if not os.path.isfile(self.path):
            raise RramsimError("%s: no such file" % self.path)
        with open(self.path, "rb") as f:
            if f.read(4) != b"PK\x03\x04":
                raise RramsimError("%s: not a NumPy .npz archive (no zip header)" % self.path)
        try:
            self.z = np.load(self.path, allow_pickle=False)
        except (ValueError, OSError, zipfile.BadZipFile, EOFError) as e:
            raise RramsimError("%s: not a NumPy .npz archive (%s)" % (self.path, e)) from None
        if not hasattr(self.z, "files"):
            raise RramsimError("%s: a single .npy array, not an .npz archive" % self.path)

    def has(self, key):
        return key in self.z.files

    def get(self, key, kind, shape=None):
        if key not in self.z.files:
            raise RramsimError("%s: missing array '%s'" % (self.path, key))
        try:
            a = self.z[key]
        except Exception as e:
            raise RramsimError("%s: array '%s' unreadable (%s)" % (self.path, key, e)) from None
        if kind == "str":
            if a.dtype.kind != "U" or a.size != 1:
                raise RramsimError("%s: '%s' must be a string, got dtype %s shape %s"
                                   % (self.path, key, a.dtype, list(a.shape)))
            return str(a.reshape(-1)[0])
        if kind == "int":
            if a.dtype.kind not in "iu":
                raise RramsimError("%s: '%s' must be an integer array, got dtype %s"
                                   % (self.path, key, a.dtype))
        elif kind == "num":
            if a.dtype.kind not in "iuf":
                raise RramsimError("%s: '%s' must be numeric, got dtype %s"
                                   % (self.path, key, a.dtype))
            if not np.all(np.isfinite(a)):
                raise RramsimError("%s: '%s' has NaN or infinite values" % (self.path, key))
        if shape is not None and tuple(a.shape) != tuple(shape):
            raise RramsimError("%s: '%s' has shape %s, expected %s"
                               % (self.path, key, list(a.shape), list(shape)))
        return a


def import_npz(path):
    """Builds a Model from an .npz following the schema above. Returns (Model, report)."""
    from .onnx_import import parse_input_scale
    z = _Npz(path)
    fmt = z.get("format", "str")
    if fmt != FORMAT:
        raise RramsimError("%s: format '%s', expected '%s'" % (z.path, fmt, FORMAT))
    shape = [int(v) for v in z.get("input_shape", "int", (3,))]
    n = int(z.get("n_layers", "int").reshape(-1)[0])
    if not 1 <= n <= 256:
        raise RramsimError("%s: n_layers %d outside 1..256" % (z.path, n))
    in_scale = z.get("input_scale", "str") if z.has("input_scale") else "unit"
    s, o = parse_input_scale(in_scale)
    kinds = [z.get("layer%d.kind" % i, "str") for i in range(n)]
    weight_idx = [i for i, k in enumerate(kinds) if k != "maxpool2"]
    if not weight_idx:
        raise RramsimError("%s: no weight layers" % z.path)
    last = weight_idx[-1]
    layers, affine, near = [], None, 0
    spatial = tuple(shape)
    first = True
    for i, kind in enumerate(kinds):
        p = "layer%d." % i
        if kind == "maxpool2":
            layers.append({"kind": "maxpool2"})
            if spatial is None:
                raise RramsimError("%s: %skind maxpool2 after a dense layer" % (z.path, p))
            spatial = (spatial[0], spatial[1] // 2, spatial[2] // 2)
            continue
        if kind not in ("dense", "conv3x3"):
            raise RramsimError("%s: %skind '%s', expected dense, conv3x3 or maxpool2"
                               % (z.path, p, kind))
        w = z.get(p + "weight", "num")
        if not np.all((w == 1) | (w == -1)):
            raise RramsimError("%s: %sweight has values other than ±1" % (z.path, p))
        w = w.astype(np.int8)
        if kind == "conv3x3":
            if spatial is None or w.ndim != 4 or w.shape[1:] != (spatial[0], 3, 3):
                raise RramsimError("%s: %sweight has shape %s, expected (out, %s, 3, 3)"
                                   % (z.path, p, list(w.shape),
                                      spatial[0] if spatial else "?"))
            fan_in, out_shape = 9 * spatial[0], (w.shape[0], spatial[1], spatial[2])
        else:
            expect = int(np.prod(spatial)) if spatial else prev_out
            if w.ndim != 2 or w.shape[1] != expect:
                raise RramsimError("%s: %sweight has shape %s, expected (out, %d)"
                                   % (z.path, p, list(w.shape), expect))
            fan_in, out_shape = w.shape[1], None
        n_out = w.shape[0]
        L = {"kind": kind, "weight": w}
        bn = z.has(p + "bn_gamma")
        if bn or (i == last and z.has(p + "bias")):
            # float form: z = A·a + C
            if first:
                if np.ptp(s) != 0:
                    raise RramsimError("%s: input_scale %s: per-channel scales do not fold"
                                       % (z.path, in_scale))
                A = np.full(n_out, s[0])
                oc = np.resize(np.asarray(o, float), spatial[0])
                C = np.zeros(n_out)
                if np.any(oc != 0):
                    if kind == "conv3x3":
                        raise RramsimError("%s: input_scale %s has an offset and layer 0 is a "
                                           "padded conv: not exactly representable"
                                           % (z.path, in_scale))
                    shift, num = fold.input_offset(-oc / s[0], fan_in)
                    if i == last:  # no threshold: the offset stays in the output affine
                        ch = np.repeat(np.arange(spatial[0]), spatial[1] * spatial[2])
                        C = w.astype(np.float64).reshape(n_out, -1) @ oc[ch]
                    else:
                        L["input_offset"] = {"shift": shift, "num": num}
            else:
                A, C = np.ones(n_out), np.zeros(n_out)
            if z.has(p + "bias"):
                C = C + z.get(p + "bias", "num", (n_out,)).astype(np.float64)
            if bn:
                g = z.get(p + "bn_gamma", "num", (n_out,)).astype(np.float64)
                b = z.get(p + "bn_beta", "num", (n_out,)).astype(np.float64)
                mu = z.get(p + "bn_mean", "num", (n_out,)).astype(np.float64)
                var = z.get(p + "bn_var", "num", (n_out,)).astype(np.float64)
                eps = float(z.get(p + "bn_eps", "num").reshape(-1)[0]) if z.has(p + "bn_eps") \
                    else 1e-5
                if np.any(var + eps <= 0):
                    raise RramsimError("%s: %sbn_var + eps must be > 0" % (z.path, p))
                k = g / np.sqrt(var + eps)
                A, C = A * k, (C - mu) * k + b
            if i == last:
                affine = (A, C)
            elif "input_offset" in L:
                off = L["input_offset"]
                T, d, nt = fold.offset_thresholds(A, C, False, off["shift"], off["num"], fan_in)
                near += nt
                off["threshold"], L["direction"] = T, d
            else:
                t, d, nt = fold.thresholds(A, C, False, (255 if first else 1) * fan_in)
                near += nt
                L["threshold"], L["direction"] = t, d
        elif i != last:
            L["threshold"] = z.get(p + "threshold", "int", (n_out,))
            d = z.get(p + "direction", "int", (n_out,))
            if not np.all((d == 1) | (d == -1)):
                raise RramsimError("%s: %sdirection has values other than ±1" % (z.path, p))
            L["direction"] = d
            if first and z.has(p + "input_offset_shift"):
                L["input_offset"] = {
                    "shift": int(z.get(p + "input_offset_shift", "int").reshape(-1)[0]),
                    "num": z.get(p + "input_offset_num", "int", (shape[0],)),
                    "threshold": z.get(p + "input_offset_threshold", "int", (n_out,))}
        layers.append(L)
        spatial = out_shape
        prev_out = n_out
        first = False
    if z.has("output_affine_scale") or z.has("output_affine_offset"):
        nc = layers[last]["weight"].shape[0]
        affine = (z.get("output_affine_scale", "num", (nc,)),
                  z.get("output_affine_offset", "num", (nc,)))
    scale = float(z.get("output_scale", "num").reshape(-1)[0]) if z.has("output_scale") else 1.0
    prov = z.get("provenance", "str") if z.has("provenance") else json.dumps(
        {"kind": "import", "source": "npz", "file": os.path.basename(z.path),
         "input_scale": in_scale, "near_ties": near, "trained": True}, sort_keys=True)
    model = Model.from_layers(shape, layers, output_affine=affine, output_scale=scale,
                              provenance=prov)
    return model, {"source": "npz", "layers": kinds, "near_ties": near,
                   "output_affine": affine is not None}


def export_npz(model, path):
    """Writes a model as an .npz (the engine's integer thresholds, PyTorch layout weights, the
    output affine and the provenance): import_npz of it gives a bit-identical model file.
    Atomic: written to a temporary name in the same directory, then renamed."""
    arrays = {"format": np.array(FORMAT), "input_shape": np.array(model.input_shape, np.int64)}
    layers = model.to_layers()
    arrays["n_layers"] = np.array(len(layers), np.int64)
    for i, L in enumerate(layers):
        arrays["layer%d.kind" % i] = np.array(L["kind"])
        if "weight" in L:
            arrays["layer%d.weight" % i] = L["weight"].astype(np.int8)
        if "threshold" in L:
            arrays["layer%d.threshold" % i] = L["threshold"].astype(np.int32)
            arrays["layer%d.direction" % i] = L["direction"].astype(np.int8)
        if "input_offset" in L:
            off = L["input_offset"]
            arrays["layer%d.input_offset_shift" % i] = np.array(off["shift"], np.int64)
            arrays["layer%d.input_offset_num" % i] = off["num"].astype(np.int64)
            arrays["layer%d.input_offset_threshold" % i] = off["threshold"].astype(np.int64)
    aff = model.output_affine
    if aff is not None:
        arrays["output_affine_scale"], arrays["output_affine_offset"] = aff
    arrays["output_scale"] = np.array(model.output_scale, np.float32)
    arrays["provenance"] = np.array(model.provenance)
    path = str(path)
    tmp = "%s.tmp.%d.npz" % (path, os.getpid())
    try:
        with open(tmp, "wb") as f:
            np.savez(f, **arrays)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.remove(tmp)
        raise
