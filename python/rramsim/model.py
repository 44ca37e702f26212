"""rramsim.Model: a libbnn model (load, save, build from layers, inspect, export as layers).

Layers are exchanged in PyTorch's layout (what the importers read and `to_layers` returns):

  dense:    weight int8 (out, in), values ±1; when the layer follows a spatial tensor (C, H, W)
            (the image itself, a conv or a pool) column j is the CHW flatten index c·H·W + y·W + x,
            as torch.flatten produces (the engine stores HWC; the conversion is exact both ways);
  conv3x3:  weight int8 (out, in_c, 3, 3) (OIHW), stride 1, pad 1;
  maxpool2: no parameters;
  hidden weight layers: threshold int32 (out,), direction int8 (out,) ∈ {−1, +1}: output +1 iff
            (d > 0 ? a ≥ t : a ≤ t), a the integer pre-activation (first layer: Σ w·pixel over 8-bit
            pixels);
  the output layer (the last, dense): no threshold; the model may carry a per-class affine
            (output_affine = (scale, offset)): prediction = arg-max of scale·a + offset;
  the first layer (hidden, dense) may carry an input offset (model format version 3):
            input_offset = {"shift": k, "num": int64 (C,), "threshold": int64 (out,)}: the net saw
            x = s·(pixel − q_c), q_c = num_c / 2^k, and neuron j outputs +1 iff
            (d > 0 ? v ≥ T : v ≤ T), v = 2^k·a − Σ_c num_c·S_jc with S_jc the sum of its weights
            over channel c as the engine reads them (faulty ones included); its "threshold" is then
            derived (those of the clean weights) and ignored by from_layers.
"""
import json

import numpy as np

from ._native import check, ffi, lib
from .errors import RramsimError

KINDS = ("dense", "conv3x3", "maxpool2")


def _engine_to_torch(w, kind, spatial_in):
    """Engine-layout weight matrix (out, fan_in) → PyTorch layout."""
    if kind == "conv3x3":
        c_in = w.shape[1] // 9
        return np.ascontiguousarray(w.reshape(w.shape[0], 3, 3, c_in).transpose(0, 3, 1, 2))
    if spatial_in is not None:
        c, h, ww = spatial_in
        return np.ascontiguousarray(w.reshape(w.shape[0], h, ww, c).transpose(0, 3, 1, 2).reshape(
            w.shape[0], -1))
    return w


def _torch_to_engine(w, kind, spatial_in):
    """PyTorch-layout weights → engine layout (out, fan_in), int8."""
    if kind == "conv3x3":
        return np.ascontiguousarray(w.transpose(0, 2, 3, 1).reshape(w.shape[0], -1), dtype=np.int8)
    if spatial_in is not None:
        c, h, ww = spatial_in
        return np.ascontiguousarray(
            w.reshape(w.shape[0], c, h, ww).transpose(0, 2, 3, 1).reshape(w.shape[0], -1),
            dtype=np.int8)
    return np.ascontiguousarray(w, dtype=np.int8)


class Model:
    """A BNN in rramsim's engine (wraps a libbnn `bnn_model`).

    Model.load(path) / model.save(path); Model.from_layers(input_shape, layers, ...);
    model.to_layers(); model.info() (a dict); model.layer_table() (a list of dicts, one per layer,
    for pandas.DataFrame); rramsim.import_onnx / import_npz build one; rramsim.evaluate etc. run it.
    """

    def __init__(self, ptr, path=None):
        self._ptr = ffi.gc(ptr, lib.bnn_model_free)
        self.path = path

    # ---- files -----------------------------------------------------------------------------
    @classmethod
    def load(cls, path):
        """Loads a model file (format versions 1 to 3; workloads/src/model_io.c)."""
        out = ffi.new("bnn_model **")
        check(lib.bnn_model_load(out, str(path).encode()))
        return cls(out[0], str(path))

    def save(self, path):
        """Writes the model file atomically (temp file + rename)."""
        check(lib.bnn_model_save(self._ptr, str(path).encode()))

    # ---- building --------------------------------------------------------------------------
    @classmethod
    def from_layers(cls, input_shape, layers, output_affine=None, output_scale=1.0,
                    provenance=""):
        """Builds a model. input_shape = (C, H, W) of the 8-bit images; layers: dicts as in the
        module docstring (kind, weight, threshold, direction); output_affine: (scale, offset)
        arrays of n_classes or None; provenance: a JSON string or a dict."""
        c, h, w = (int(v) for v in input_shape)
        out = ffi.new("bnn_model **")
        check(lib.bnn_model_create(out, c, h, w), "input shape")
        m = cls(out[0])
        spatial = (c, h, w)  # what a dense layer reads (None after a dense layer)
        weight_layers = [i for i, L in enumerate(layers) if L["kind"] != "maxpool2"]
        if not weight_layers:
            raise RramsimError("model: no weight layers")
        last = weight_layers[-1]
        for i, L in enumerate(layers):
            kind = L["kind"]
            if kind not in KINDS:
                raise RramsimError("layer %d: kind '%s' is not one of %s" % (i, kind, ", ".join(KINDS)))
            if kind == "maxpool2":
                check(lib.bnn_model_add_maxpool2(m._ptr), "layer %d (maxpool2)" % i)
                spatial = (spatial[0], spatial[1] // 2, spatial[2] // 2)
                continue
            wt = np.asarray(L["weight"])
            if not np.all((wt == 1) | (wt == -1)):
                raise RramsimError("layer %d (%s): weights must all be ±1" % (i, kind))
            we = _torch_to_engine(wt, kind, spatial if kind == "dense" else None)
            n_out = we.shape[0]
            if i != last:
                t = np.ascontiguousarray(L["threshold"] if "threshold" in L else
                                         np.zeros(n_out), dtype=np.int32)
                d = np.ascontiguousarray(L["direction"], dtype=np.int8)
                if t.shape != (n_out,) or d.shape != (n_out,):
                    raise RramsimError("layer %d (%s): threshold/direction need shape (%d,)" %
                                       (i, kind, n_out))
                tp = ffi.from_buffer("int32_t[]", t)
                dp = ffi.from_buffer("int8_t[]", d)
            else:
                tp = dp = ffi.NULL
            wp = ffi.from_buffer("int8_t[]", we)
            if kind == "dense":
                check(lib.bnn_model_add_dense(m._ptr, n_out, wp, tp, dp), "layer %d (dense)" % i)
                spatial = None
            else:
                check(lib.bnn_model_add_conv3x3(m._ptr, n_out, wp, tp, dp), "layer %d (conv3x3)" % i)
                spatial = (n_out, spatial[1], spatial[2])
        off = layers[0].get("input_offset") if layers else None
        if off is not None:
            num = np.ascontiguousarray(off["num"], dtype=np.int64)
            T = np.ascontiguousarray(off["threshold"], dtype=np.int64)
            if num.shape != (c,) or T.ndim != 1:
                raise RramsimError("layer 0: input_offset needs num of shape (%d,) and a threshold "
                                   "per neuron" % c)
            if T.shape[0] != np.asarray(layers[0]["weight"]).shape[0]:
                raise RramsimError("layer 0: input_offset threshold needs shape (%d,)"
                                   % np.asarray(layers[0]["weight"]).shape[0])
            check(lib.bnn_model_set_input_offset(m._ptr, int(off["shift"]),
                                                 ffi.from_buffer("int64_t[]", num),
                                                 ffi.from_buffer("int64_t[]", T)),
                  "layer 0 input offset")
        lib.bnn_model_set_output_scale(m._ptr, float(output_scale))
        if output_affine is not None:
            sc = np.ascontiguousarray(output_affine[0], dtype=np.float64)
            of = np.ascontiguousarray(output_affine[1], dtype=np.float64)
            n = m.n_classes
            if sc.shape != (n,) or of.shape != (n,):
                raise RramsimError("output affine: scale and offset need shape (%d,)" % n)
            check(lib.bnn_model_set_output_affine(m._ptr, ffi.from_buffer("double[]", sc),
                                                  ffi.from_buffer("double[]", of)),
                  "output affine")
        if provenance:
            if not isinstance(provenance, str):
                provenance = json.dumps(provenance, sort_keys=True)
            check(lib.bnn_model_set_provenance(m._ptr, provenance.encode()), "provenance")
        return m

    # ---- inspection ------------------------------------------------------------------------
    @property
    def input_shape(self):
        """(C, H, W) of the 8-bit input images (stored HWC)."""
        c, h, w = ffi.new("uint32_t *"), ffi.new("uint32_t *"), ffi.new("uint32_t *")
        lib.bnn_model_input_shape(self._ptr, c, h, w)
        return (c[0], h[0], w[0])

    @property
    def n_classes(self):
        return lib.bnn_model_n_classes(self._ptr)

    @property
    def provenance(self):
        return ffi.string(lib.bnn_model_provenance(self._ptr)).decode("utf-8", "replace")

    @property
    def output_scale(self):
        return float(lib.bnn_model_output_scale(self._ptr))

    @property
    def output_affine(self):
        """(scale, offset) float64 arrays, or None."""
        n = self.n_classes
        sc, of = np.zeros(n), np.zeros(n)
        if not lib.bnn_model_output_affine(self._ptr, ffi.from_buffer("double[]", sc),
                                           ffi.from_buffer("double[]", of)):
            return None
        return sc, of

    @property
    def input_offset(self):
        """{"shift": k, "num": int64 (C,), "threshold": int64 (first layer's out,)} or None."""
        shift = ffi.new("uint32_t *")
        if not lib.bnn_model_input_offset(self._ptr, shift, ffi.NULL, ffi.NULL):
            return None
        num = np.zeros(self.input_shape[0], np.int64)
        info = ffi.new("bnn_layer_info *")
        check(lib.bnn_model_layer(self._ptr, 0, info))
        T = np.zeros(info.out_c, np.int64)
        lib.bnn_model_input_offset(self._ptr, shift, ffi.from_buffer("int64_t[]", num),
                                   ffi.from_buffer("int64_t[]", T))
        return {"shift": int(shift[0]), "num": num, "threshold": T}

    def _infos(self):
        out = []
        info = ffi.new("bnn_layer_info *")
        for i in range(lib.bnn_model_n_layers(self._ptr)):
            check(lib.bnn_model_layer(self._ptr, i, info))
            out.append({k: getattr(info, k) for k in (
                "kind", "in_c", "in_h", "in_w", "out_c", "out_h", "out_w", "fan_in", "input_u8",
                "is_output", "weight_layer_index", "weight_addr", "row_bytes", "weight_bytes")})
            out[-1]["kind"] = KINDS[out[-1]["kind"]]
        return out

    def layer_table(self):
        """One dict per layer (kind, shapes, fan-in, weight bytes, ...): pandas.DataFrame(...)."""
        return self._infos()

    def weight_image(self):
        """The packed weight image (what lives in RRAM weight memory) as a uint8 array (a copy)."""
        size = ffi.new("uint64_t *")
        p = lib.bnn_model_weight_image(self._ptr, size)
        return np.frombuffer(ffi.buffer(p, size[0]), dtype=np.uint8).copy()

    def info(self):
        """A summary dict: input shape, classes, layers, weight bits, output scale/affine."""
        infos = self._infos()
        aff = self.output_affine
        off = self.input_offset
        return {
            "input_shape": list(self.input_shape),
            "n_classes": self.n_classes,
            "n_layers": len(infos),
            "layers": [i["kind"] for i in infos],
            "weight_bits": int(sum(i["out_c"] * i["fan_in"] for i in infos if i["fan_in"])),
            "weight_bytes": int(sum(i["weight_bytes"] for i in infos)),
            "output_scale": self.output_scale,
            "output_affine": None if aff is None else {"scale": aff[0].tolist(),
                                                       "offset": aff[1].tolist()},
            "input_offset": None if off is None else {
                "shift": off["shift"], "pixel_offset": [float(n) / 2.0**off["shift"]
                                                        for n in off["num"]]},
            "provenance": self.provenance,
        }

    def to_layers(self):
        """The layers as dicts in PyTorch layout (see the module docstring): the inverse of
        from_layers, exact."""
        img = self.weight_image()
        layers = []
        t = ffi.new("int32_t *")
        d = ffi.new("int8_t *")
        spatial = self.input_shape
        for li, I in enumerate(self._infos()):
            if I["kind"] == "maxpool2":
                layers.append({"kind": "maxpool2"})
                spatial = (I["out_c"], I["out_h"], I["out_w"])
                continue
            rows = img[I["weight_addr"]:I["weight_addr"] + I["weight_bytes"]].reshape(
                I["out_c"], I["row_bytes"])
            bits = np.unpackbits(rows, axis=1, bitorder="little")[:, :I["fan_in"]]
            we = (1 - 2 * bits.astype(np.int8)).astype(np.int8)
            L = {"kind": I["kind"],
                 "weight": _engine_to_torch(we, I["kind"], spatial if I["kind"] == "dense" else None)}
            if not I["is_output"]:
                th = np.zeros(I["out_c"], np.int32)
                dr = np.zeros(I["out_c"], np.int8)
                for o in range(I["out_c"]):
                    check(lib.bnn_model_threshold(self._ptr, li, o, t, d))
                    th[o], dr[o] = t[0], d[0]
                L["threshold"], L["direction"] = th, dr
            if li == 0 and self.input_offset is not None:
                L["input_offset"] = self.input_offset
            layers.append(L)
            spatial = (I["out_c"], I["out_h"], I["out_w"]) if I["kind"] != "dense" else None
        return layers

    def __repr__(self):
        i = self.info()
        return "<rramsim.Model %s %s → %d classes, %s>" % (
            "x".join(map(str, i["input_shape"])), "-".join(i["layers"]), i["n_classes"],
            "output affine" if i["output_affine"] else "integer scores")
