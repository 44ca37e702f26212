"""ONNX → rramsim model: recognises the usual BNN graph patterns and folds them exactly.

Usage: rramsim.import_onnx("net.onnx", input_scale="unit") → (Model, report dict), or from the
shell `rramsim model import net.onnx --out net.bnn` (the CLI runs `python3 -m rramsim.cli`).

What is recognised (anything else is refused with an RramsimError naming the node, its op and
what is supported — never a silently different network):

* constant subgraphs are evaluated with NumPy first (weights binarised in the graph: Sign on a
  float initializer, where(w >= 0, 1, −1), Not/Less variants, Cast, Mul by a per-row scale
  (XNOR-Net α), Transpose, Reshape, Shape of a known tensor, ...);
* Gemm (alpha, beta, transB; no transA), MatMul (+ Add bias): weights ±1 (or ±α per output row);
* Conv: 3×3, stride 1, pads 1, dilation 1, group 1 (anything else refused);
* MaxPool 2×2 stride 2 (pads 0): on ±1 activations, or on pre-activations when every folded
  direction is +1 (then max and the monotone binarisation commute);
* Flatten / Reshape to (batch, features) (CHW flatten order, converted to the engine's HWC);
* BatchNormalization, Add/Sub/Mul/Div by constants (per neuron or per channel) on a
  pre-activation: folded into the affine z = A·a + C of rramsim.fold;
* the activation: Sign, Where(z >= 0, 1, −1) / Where(z > 0, ...) / Where(Less(z, 0), −1, 1) /
  Not variants, the straight-through form z + (Sign(z) − z); Mul of ±1 activations by a positive
  constant;
* input scaling on the graph input (Div/Mul/Sub/Add by scalar or per-channel constants) on top of
  the pixel mapping `input_scale` (x = s·pixel + o: "unit" x = p/255 — torchvision ToTensor,
  the default; "raw" x = p; "pm1" x = 2p/255 − 1; "norm:MEAN:STD" x = (p/255 − MEAN)/STD, MEAN
  and STD comma lists per channel): the scale is folded into the first layer's thresholds (it
  must be equal on every channel); an offset, x = s·(p − q_c), on a dense first layer becomes the
  model's input offset (format version 3: q_c = N_c/2^k, the engine takes the offset term from the
  weights it reads, faulty ones included; rramsim.fold), and is refused with a padded first conv,
  because padded positions are 0 in x, not in pixels;
* the output: the last dense layer's pre-activation, optionally through a per-class affine
  (BatchNormalization, Mul/Add) and Softmax/LogSoftmax (order-preserving): a per-class affine that
  is not a common positive scale is stored as the model's output affine (format version 2);
* Identity, Dropout, Cast pass through.
"""
import hashlib
import json
import os

import numpy as np

from . import fold
from .errors import RramsimError
from .model import Model

SUPPORTED = ("Gemm, MatMul, Conv (3x3, stride 1, pad 1), MaxPool (2x2, stride 2), Flatten, "
             "Reshape, BatchNormalization, Add/Sub/Mul/Div by constants, Sign, Where(x >= 0, 1, -1) "
             "binarisation, Identity, Dropout, Cast, Softmax/LogSoftmax at the output")


def parse_input_scale(spec):
    """'unit' | 'raw' | 'pm1' | 'norm:MEAN:STD' → (scale per channel list, offset per channel
    list); a single value applies to every channel."""
    if spec in (None, "unit"):
        return [1.0 / 255], [0.0]
    if spec == "raw":
        return [1.0], [0.0]
    if spec == "pm1":
        return [2.0 / 255], [-1.0]
    if isinstance(spec, str) and spec.startswith("norm:"):
        parts = spec[5:].split(":")
        try:
            if len(parts) != 2:
                raise ValueError
            mean = [float(v) for v in parts[0].split(",")]
            std = [float(v) for v in parts[1].split(",")]
        except ValueError:
            raise RramsimError("--input-scale %s: expected norm:MEAN:STD (comma lists per channel)"
                               % spec) from None
        if len(std) == 1 and len(mean) > 1:
            std = std * len(mean)
        if len(mean) == 1 and len(std) > 1:
            mean = mean * len(std)
        if len(mean) != len(std) or any(not np.isfinite(s) or s <= 0 for s in std) or \
                any(not np.isfinite(m) for m in mean):
            raise RramsimError("--input-scale %s: MEAN and STD lists must have the same length, "
                               "STD > 0" % spec)
        return [1.0 / (255 * s) for s in std], [-m / s for m, s in zip(mean, std)]
    raise RramsimError("--input-scale %s: expected unit, raw, pm1 or norm:MEAN:STD" % spec)


# ---- symbolic values ----------------------------------------------------------------------------
class Input:
    """The graph input: x = s·pixel + o (s, o per channel)."""

    def __init__(self, shape, s, o):
        self.shape, self.s, self.o = shape, np.asarray(s, float), np.asarray(o, float)
        self.flat_from = None


class Pre:
    """Pre-activation z = A·a + C of the pending weight layer `layer` (index into the builder)."""

    def __init__(self, layer, A, C, shape, bound):
        self.layer, self.A, self.C, self.shape, self.bound = layer, A, C, shape, bound
        self.pools = []  # MaxPool nodes applied before the binarisation
        # First layer with an input offset: (shift, num, Q) where z = A·(a − Q) + C, Q_j the
        # clean weights' Σ_c q_c·S_jc (used only if the layer ends up as the output layer)
        self.off = None
        self.final = False  # passed through Softmax/LogSoftmax


class Cond:
    """A boolean on a pre-activation: true iff A·a + C ≥ 0 (> 0 when strict)."""

    def __init__(self, pre, A, C, strict):
        self.pre, self.A, self.C, self.strict = pre, A, C, strict


class Bin:
    """±1 activations (times a positive scale)."""

    def __init__(self, shape, scale=1.0, flat_from=None):
        self.shape, self.scale, self.flat_from = shape, scale, flat_from


class SteDelta:
    """Sign(z) − z, waiting for the + z of a straight-through estimator."""

    def __init__(self, binv, pre):
        self.bin, self.pre = binv, pre


# ---- helpers ------------------------------------------------------------------------------------
def _attrs(node):
    import onnx
    return {a.name: onnx.helper.get_attribute_value(a) for a in node.attribute}


def _nodename(i, node):
    return "node %d '%s' (%s)" % (i, node.name or node.output[0], node.op_type)


def _fold_const(node, ins, attrs):
    """NumPy evaluation of a node whose inputs are all constants; None if the op is not foldable."""
    op = node.op_type
    a = ins[0] if ins else None
    if op == "Identity" or op == "Dropout":
        return [a]
    if op == "Sign":
        return [np.sign(a)]
    if op == "Neg":
        return [-a]
    if op == "Abs":
        return [np.abs(a)]
    if op == "Not":
        return [np.logical_not(a)]
    if op in ("Add", "Sub", "Mul", "Div", "Pow"):
        f = {"Add": np.add, "Sub": np.subtract, "Mul": np.multiply, "Div": np.divide,
             "Pow": np.power}[op]
        r = f(a, ins[1])
        if op == "Div" and np.issubdtype(np.asarray(a).dtype, np.integer):
            r = np.floor_divide(a, ins[1])
        return [np.asarray(r, dtype=np.result_type(a, ins[1]))]
    if op in ("Greater", "GreaterOrEqual", "Less", "LessOrEqual", "Equal"):
        f = {"Greater": np.greater, "GreaterOrEqual": np.greater_equal, "Less": np.less,
             "LessOrEqual": np.less_equal, "Equal": np.equal}[op]
        return [f(a, ins[1])]
    if op == "Where":
        return [np.where(a, ins[1], ins[2])]
    if op == "Cast":
        import onnx
        return [a.astype(onnx.helper.tensor_dtype_to_np_dtype(attrs["to"]))]
    if op == "Transpose":
        return [np.transpose(a, attrs.get("perm"))]
    if op == "Reshape":
        shape = [int(v) for v in ins[1]]
        shape = [a.shape[i] if v == 0 else v for i, v in enumerate(shape)]
        return [a.reshape(shape)]
    if op == "Unsqueeze":
        axes = attrs.get("axes", list(ins[1]) if len(ins) > 1 else [])
        for ax in sorted(int(x) for x in axes):
            a = np.expand_dims(a, ax)
        return [a]
    if op == "Squeeze":
        axes = attrs.get("axes", list(ins[1]) if len(ins) > 1 else None)
        return [np.squeeze(a, axis=tuple(int(x) for x in axes) if axes is not None else None)]
    if op == "Concat":
        return [np.concatenate(ins, axis=attrs["axis"])]
    if op == "Gather":
        return [np.take(a, ins[1], axis=attrs.get("axis", 0))]
    if op == "Sqrt":
        return [np.sqrt(a)]
    if op == "Clip":
        lo = ins[1] if len(ins) > 1 and ins[1] is not None else attrs.get("min", -np.inf)
        hi = ins[2] if len(ins) > 2 and ins[2] is not None else attrs.get("max", np.inf)
        return [np.clip(a, lo, hi)]
    if op == "ReduceMean":
        axes = attrs.get("axes")
        return [np.mean(a, axis=tuple(axes) if axes else None,
                        keepdims=bool(attrs.get("keepdims", 1)))]
    if op == "Expand":
        return [a * np.ones([int(v) for v in ins[1]], dtype=a.dtype)]
    if op == "ConstantOfShape":
        v = attrs.get("value")
        import onnx
        val = onnx.numpy_helper.to_array(v) if v is not None else np.zeros(1, np.float32)
        return [np.full([int(x) for x in a], val.reshape(-1)[0], dtype=val.dtype)]
    return None


class _Importer:
    def __init__(self, path, input_scale, input_shape):
        self.path = str(path)
        self.input_scale = input_scale or "unit"
        self.user_shape = input_shape
        self.layers = []  # builder: dicts in PyTorch layout (+ 'node' for messages)
        self.near_ties = 0
        self.notes = []

    def fail(self, msg):
        raise RramsimError("%s: %s" % (self.path, msg))

    # -- reading -------------------------------------------------------------------------------
    def load(self):
        import onnx
        from google.protobuf.message import DecodeError
        if not os.path.isfile(self.path):
            raise RramsimError("%s: no such file" % self.path)
        import warnings
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("error")  # protobuf's partial-parse warnings are errors
                with open(self.path, "rb") as f:
                    self.raw = f.read()  # read once: parsed here, hashed for the provenance
                model = onnx.load_model_from_string(self.raw)
        except (DecodeError, RuntimeWarning, ValueError, UnicodeDecodeError, OSError) as e:
            self.fail("not an ONNX model (protobuf parse failed: %s)" % str(e).splitlines()[0]
                      if str(e) else "not an ONNX model (protobuf parse failed)")
        except Exception as e:  # protobuf raises assorted errors on garbage
            self.fail("not an ONNX model (%s: %s)" % (type(e).__name__, e))
        if not model.graph.node:
            self.fail("not an ONNX model (no graph nodes; truncated or another file type?)")
        # No onnx.checker pass: it re-serialises the whole model (about 1 s for a 70 MB FCNN) and
        # the walk below validates everything it uses (every node's op and attributes, constant
        # shapes and values, one input, one output) and refuses everything else.
        if model.ir_version <= 0 or not model.graph.output or not model.graph.input:
            self.fail("not an ONNX model (no IR version, graph inputs or outputs)")
        self.model = model
        return model

    # -- the walk ------------------------------------------------------------------------------
    def run(self):
        import onnx
        from onnx import numpy_helper
        g = self.model.graph
        consts = {}
        for init in g.initializer:
            consts[init.name] = numpy_helper.to_array(init)
        dyn_inputs = [i for i in g.input if i.name not in consts]
        if len(dyn_inputs) != 1:
            self.fail("the graph has %d non-constant inputs; rramsim models take one image input"
                      % len(dyn_inputs))
        inp = dyn_inputs[0]
        dims = [d.dim_value if d.HasField("dim_value") else None
                for d in inp.type.tensor_type.shape.dim]
        shape = self.input_shape_of(inp.name, dims)
        s, o = parse_input_scale(self.input_scale)
        C = shape[0] if len(shape) == 3 else 1
        if len(s) not in (1, C):
            self.fail("--input-scale %s: %d channel values for %d input channels"
                      % (self.input_scale, len(s), C))
        self.spatial_input = shape if len(shape) == 3 else (1, 1, shape[0])
        vals = {inp.name: Input(shape, np.resize(s, C), np.resize(o, C))}
        for i, node in enumerate(g.node):
            attrs = _attrs(node)
            where = _nodename(i, node)
            if node.op_type == "Constant":
                v = attrs.get("value")
                if v is not None:
                    consts[node.output[0]] = numpy_helper.to_array(v)
                elif "value_float" in attrs:
                    consts[node.output[0]] = np.array(attrs["value_float"], np.float32)
                elif "value_floats" in attrs:
                    consts[node.output[0]] = np.array(attrs["value_floats"], np.float32)
                elif "value_int" in attrs:
                    consts[node.output[0]] = np.array(attrs["value_int"], np.int64)
                elif "value_ints" in attrs:
                    consts[node.output[0]] = np.array(attrs["value_ints"], np.int64)
                else:
                    self.fail("%s: unsupported Constant attribute" % where)
                continue
            names = list(node.input)
            if all((n == "" or n in consts) for n in names):
                ins = [consts[n] if n else None for n in names]
                try:
                    r = _fold_const(node, ins, attrs)
                except Exception as e:
                    self.fail("%s: cannot evaluate on constants: %s" % (where, e))
                if r is None:
                    self.fail("%s: unsupported op on constants; supported: %s" % (where, SUPPORTED))
                consts[node.output[0]] = np.asarray(r[0])
                continue
            if node.op_type == "Shape":
                v = vals.get(names[0])
                if v is None:
                    self.fail("%s: input '%s' is not known" % (where, names[0]))
                consts[node.output[0]] = np.array([1] + list(v.shape), np.int64)
                continue
            dyn = [vals.get(n) for n in names]
            cin = [consts.get(n) if n else None for n in names]
            out = self.step(where, node, attrs, dyn, cin)
            vals[node.output[0]] = out
        outs = [o.name for o in g.output]
        if len(outs) != 1:
            self.fail("the graph has %d outputs; rramsim models have one (class scores)"
                      % len(outs))
        last = vals.get(outs[0])
        if not isinstance(last, Pre) or last.pools or \
                self.layers[last.layer]["kind"] != "dense" or last.layer != len(self.layers) - 1:
            self.fail("graph output '%s': expected the class scores of a final dense layer "
                      "(Gemm/MatMul, optionally with a per-class affine and Softmax), got %s"
                      % (outs[0], type(last).__name__ if last is not None else "a constant"))
        return self.finish(last)

    def input_shape_of(self, name, dims):
        if len(dims) not in (2, 4):
            self.fail("input '%s': %d dimensions; expected (N, C, H, W) images or (N, features)"
                      % (name, len(dims)))
        feat = dims[1:]
        if self.user_shape is not None:
            us = tuple(int(v) for v in self.user_shape)
            ok = (len(feat) == 3 and all(f in (None, u) for f, u in zip(feat, us))) or \
                 (len(feat) == 1 and feat[0] in (None, us[0] * us[1] * us[2]))
            if not ok:
                self.fail("input '%s' has shape %s, --input-shape %s does not fit"
                          % (name, ["N"] + [f if f is not None else "?" for f in feat],
                             ",".join(map(str, us))))
            return us if len(feat) == 3 else (us[0] * us[1] * us[2],)
        if any(f is None or f <= 0 for f in feat):
            self.fail("input '%s': dimensions %s are not all fixed; pass --input-shape C,H,W"
                      % (name, ["N"] + [f if f is not None else "?" for f in feat]))
        return tuple(feat)

    # -- one dynamic node ----------------------------------------------------------------------
    def step(self, where, node, attrs, dyn, cin):
        op = node.op_type
        x = dyn[0]
        if x is None:
            self.fail("%s: first input '%s' is not the data path (constant second operands only)"
                      % (where, node.input[0]) if node.input else where)
        if op in ("Identity", "Dropout", "Cast"):
            return x
        if op in ("Gemm", "MatMul"):
            return self.dense(where, node, attrs, x, cin)
        if op == "Conv":
            return self.conv(where, node, attrs, x, cin)
        if op == "MaxPool":
            return self.maxpool(where, attrs, x)
        if op in ("Flatten", "Reshape"):
            return self.flatten(where, op, attrs, x, cin)
        if op == "BatchNormalization":
            if not isinstance(x, Pre):
                self.fail("%s: BatchNormalization must follow a weight layer (Gemm/MatMul/Conv)"
                          % where)
            gamma, beta, mean, var = (np.asarray(v, np.float64) for v in cin[1:5])
            eps = float(attrs.get("epsilon", 1e-5))
            for nm, v in (("scale", gamma), ("B", beta), ("mean", mean), ("var", var)):
                if not np.all(np.isfinite(v)):
                    self.fail("%s: %s has NaN or infinite values" % (where, nm))
            if np.any(var + eps <= 0):
                self.fail("%s: var + epsilon must be > 0" % where)
            k = gamma / np.sqrt(var + eps)
            return self.affine(where, x, k, beta - mean * k)
        if op in ("Add", "Sub", "Mul", "Div"):
            return self.arith(where, op, node, x, dyn, cin)
        if op == "Sign":
            if isinstance(x, Pre):
                return self.binarize(where, Cond(x, x.A, x.C, False))
            self.fail("%s: Sign must binarise a pre-activation (after Gemm/Conv/BatchNorm); "
                      "binarised inputs are not supported" % where)
        if op in ("Greater", "GreaterOrEqual", "Less", "LessOrEqual"):
            if not isinstance(x, Pre) or dyn[1] is not None or cin[1] is None or \
                    np.asarray(cin[1]).size != 1:
                self.fail("%s: only a comparison of a pre-activation with a scalar constant is "
                          "supported" % where)
            k = float(np.asarray(cin[1]).reshape(-1)[0])
            A, C = x.A, x.C - k
            if op == "GreaterOrEqual":
                return Cond(x, A, C, False)
            if op == "Greater":
                return Cond(x, A, C, True)
            if op == "Less":  # z < k  ⇔  −(z − k) > 0
                return Cond(x, -A, -C, True)
            return Cond(x, -A, -C, False)
        if op == "Not":
            if not isinstance(x, Cond):
                self.fail("%s: Not of something other than a comparison" % where)
            return Cond(x.pre, -x.A, -x.C, not x.strict)
        if op == "Where":
            if not isinstance(x, Cond) or dyn[1] is not None or dyn[2] is not None:
                self.fail("%s: Where must select constants by a comparison of a pre-activation"
                          % where)
            a, b = np.asarray(cin[1]), np.asarray(cin[2])
            if a.size == 0 or b.size == 0 or np.ptp(a) != 0 or np.ptp(b) != 0 or \
                    {float(a.reshape(-1)[0]), float(b.reshape(-1)[0])} != {1.0, -1.0}:
                self.fail("%s: Where must select +1 / -1 (a binarisation), got %s / %s"
                          % (where, a.reshape(-1)[:1], b.reshape(-1)[:1]))
            if float(a.reshape(-1)[0]) == 1.0:
                return self.binarize(where, x)
            return self.binarize(where, Cond(x.pre, -x.A, -x.C, not x.strict))
        if op in ("Softmax", "LogSoftmax"):
            if isinstance(x, Pre) and len(x.shape) == 1 and attrs.get("axis", -1) in (-1, 1):
                x.final = True
                return x
            self.fail("%s: only over the class scores of the output layer" % where)
        self.fail("%s: unsupported op; rramsim imports %s" % (where, SUPPORTED))

    def arith(self, where, op, node, x, dyn, cin):
        # STE: z + (Sign(z) − z)
        if op == "Sub" and isinstance(x, Bin) and isinstance(dyn[1], Pre) and \
                getattr(x, "src", None) is dyn[1]:
            return SteDelta(x, dyn[1])
        if op == "Add":
            for a, b in ((x, dyn[1]), (dyn[1], x)):
                if isinstance(a, Pre) and isinstance(b, SteDelta) and b.pre is a:
                    return b.bin
        if dyn[1] is not None or cin[1] is None:
            self.fail("%s: both operands depend on the input; only arithmetic with constants "
                      "(and the straight-through z + (Sign(z) - z)) is supported" % where)
        k = np.asarray(cin[1], np.float64)
        if not np.all(np.isfinite(k)):
            self.fail("%s: constant '%s' has NaN or infinite values" % (where, node.input[1]))
        if isinstance(x, Input):
            kv = self.per_channel(where, k, x.shape)
            if op == "Div":
                if np.any(kv == 0):
                    self.fail("%s: division by zero" % where)
                x.s, x.o = x.s / kv, x.o / kv
            elif op == "Mul":
                x.s, x.o = x.s * kv, x.o * kv
            elif op == "Sub":
                x.o = x.o - kv
            else:
                x.o = x.o + kv
            return x
        if isinstance(x, Bin):
            if op in ("Mul", "Div") and k.size == 1 and float(k.reshape(-1)[0]) > 0:
                v = float(k.reshape(-1)[0])
                return Bin(x.shape, x.scale * (v if op == "Mul" else 1 / v), x.flat_from)
            self.fail("%s: ±1 activations may only be scaled by a positive scalar constant" % where)
        if isinstance(x, Pre):
            kv = self.per_channel(where, k, x.shape)
            n = x.A.shape[0]
            kv = np.broadcast_to(kv, (n,)).astype(np.float64)
            if op == "Add":
                return self.affine(where, x, np.ones(n), kv)
            if op == "Sub":
                return self.affine(where, x, np.ones(n), -kv)
            if op == "Mul":
                return self.affine(where, x, kv, np.zeros(n))
            if np.any(kv == 0):
                self.fail("%s: division by zero" % where)
            return self.affine(where, x, 1 / kv, np.zeros(n))
        self.fail("%s: %s on a %s is not supported" % (where, op, type(x).__name__))

    def per_channel(self, where, k, shape):
        """A constant broadcast over a tensor of `shape` (without batch) → scalar or per-channel
        vector."""
        if k.size == 1:
            return np.full(shape[0], float(k.reshape(-1)[0]))
        c = shape[0]
        kk = np.squeeze(k)
        if kk.shape == (c,) and (len(shape) == 1 or k.shape[-2:] == (1, 1) or k.ndim == 1 and
                                 len(shape) == 1):
            return kk.astype(np.float64)
        if kk.shape == (c,) and len(shape) == 3 and k.ndim >= 3 and k.shape[-1] == 1:
            return kk.astype(np.float64)
        self.fail("%s: constant of shape %s is neither a scalar nor per channel/neuron for a "
                  "tensor of shape %s" % (where, list(k.shape), list(shape)))

    def affine(self, where, x, k, b):
        if x.final:
            self.fail("%s: arithmetic after Softmax" % where)
        # With max-pools pending, a negative k is allowed here: monotonicity is checked on the
        # final folded scale at the binarisation.
        y = Pre(x.layer, x.A * k, x.C * k + b, x.shape, x.bound)
        y.pools, y.off = x.pools, x.off
        return y

    # -- weight layers -------------------------------------------------------------------------
    def weights(self, where, name, w):
        w = np.asarray(w)
        if w.dtype.kind not in "iuf" or w.size == 0:
            self.fail("%s: weights '%s' are not a numeric array" % (where, name))
        if w.dtype.kind == "f" and not np.isfinite(w).all():
            self.fail("%s: weights '%s' have NaN or infinite values" % (where, name))
        mag = np.abs(w).reshape(w.shape[0], -1)
        row = mag.max(axis=1)
        off = mag != row[:, None]
        if not row.all() or off.any():
            flat = (off | (mag == 0)).reshape(-1)
            bad = w.reshape(-1)[np.argmax(flat)]
            self.fail("%s: weights '%s' are not binary (values other than ±1 or ±alpha per "
                      "output, e.g. %g); binarise them in the graph (Sign, "
                      "where(w >= 0, 1, -1)) or export ±1 weights" % (where, name, bad))
        return np.sign(w).astype(np.int8), row.astype(np.float64)

    def layer_input(self, where, x, kind):
        """(scale A0 per input-independent factor, C contribution fn, bound per |x|, spatial)."""
        if isinstance(x, Input):
            if len(self.layers):
                self.fail("%s: the raw input reaches a second weight layer" % where)
            if np.ptp(x.s) != 0:
                self.fail("%s: the input scaling has a different scale per channel (%s); only "
                          "per-channel offsets fold exactly" % (where, x.s.tolist()))
            if x.s[0] == 0:
                self.fail("%s: the input scaling multiplies the pixels by 0" % where)
            return float(x.s[0]), x.o, 255
        if isinstance(x, Bin):
            return float(x.scale), None, 1
        self.fail("%s: expects ±1 activations (after Sign) or the input, got a %s (missing "
                  "binarisation?)" % (where, type(x).__name__))

    def dense(self, where, node, attrs, x, cin):
        op = node.op_type
        if isinstance(x, (Input, Bin)) and len(x.shape) != 1:
            self.fail("%s: input of shape %s: flatten it first" % (where, list(x.shape)))
        if cin[1] is None:
            self.fail("%s: the weights '%s' are not constant" % (where, node.input[1]))
        B = np.asarray(cin[1])
        if op == "Gemm":
            if attrs.get("transA", 0):
                self.fail("%s: transA=1 is not supported" % where)
            W = B if attrs.get("transB", 0) else B.T
            alpha, beta = float(attrs.get("alpha", 1.0)), float(attrs.get("beta", 1.0))
            bias = cin[2] if len(cin) > 2 and cin[2] is not None else None
        else:
            if B.ndim != 2:
                self.fail("%s: MatMul weights must be 2-D" % where)
            W, alpha, beta, bias = B.T, 1.0, 1.0, None
        if W.ndim != 2 or W.shape[1] != x.shape[0]:
            self.fail("%s: weights of shape %s do not fit an input of %d features"
                      % (where, list(W.shape), x.shape[0]))
        w, row = self.weights(where, node.input[1], W)
        s, o, xb = self.layer_input(where, x, "dense")
        n = w.shape[0]
        A = alpha * row * s
        Cc = np.zeros(n)
        off = None
        if o is not None and np.any(o != 0):
            # x = s·(p − q_c), q_c = −o_c/s: z = A·(a − Q) + C, Q_j = Σ_i w_ji·q_c(i) — the input
            # offset; the flat input's channel of column j (CHW flatten order)
            fl = x.flat_from
            if fl is not None:
                ch = np.repeat(np.arange(fl[0]), fl[1] * fl[2])
            else:
                ch = np.zeros(x.shape[0], dtype=int)
            shift, num = fold.input_offset(-o / s, w.shape[1])
            q = np.asarray(num, np.float64) / 2.0**shift
            off = (shift, num, w.astype(np.float64) @ q[ch])
        if bias is not None:
            bv = np.asarray(bias, np.float64).reshape(-1)
            if not np.all(np.isfinite(bv)):
                self.fail("%s: bias '%s' has NaN or infinite values" % (where, node.input[2]))
            Cc = Cc + beta * np.broadcast_to(bv, (n,))
        spatial_in = x.flat_from
        self.layers.append({"kind": "dense", "weight": w, "node": where,
                            "spatial_in": spatial_in})
        pre = Pre(len(self.layers) - 1, A, Cc, (n,), xb * w.shape[1])
        pre.off = off
        return pre

    def conv(self, where, node, attrs, x, cin):
        if isinstance(x, (Input, Bin)) and len(x.shape) != 3:
            self.fail("%s: input of shape %s is not (C, H, W)" % (where, list(x.shape)))
        ks = list(attrs.get("kernel_shape", np.asarray(cin[1]).shape[2:]))
        if ks != [3, 3] or list(attrs.get("strides", [1, 1])) != [1, 1] or \
                list(attrs.get("pads", [0, 0, 0, 0])) != [1, 1, 1, 1] or \
                list(attrs.get("dilations", [1, 1])) != [1, 1] or attrs.get("group", 1) != 1 or \
                attrs.get("auto_pad", b"NOTSET") not in (b"NOTSET", "NOTSET"):
            self.fail("%s: kernel %s stride %s pads %s dilations %s group %s: rramsim supports "
                      "3x3 convolutions with stride 1, pad 1, dilation 1, group 1 only"
                      % (where, ks, list(attrs.get("strides", [1, 1])),
                         list(attrs.get("pads", [0, 0, 0, 0])),
                         list(attrs.get("dilations", [1, 1])), attrs.get("group", 1)))
        if cin[1] is None:
            self.fail("%s: the weights '%s' are not constant" % (where, node.input[1]))
        W = np.asarray(cin[1])
        if W.ndim != 4 or W.shape[1] != x.shape[0]:
            self.fail("%s: weights of shape %s do not fit %d input channels"
                      % (where, list(W.shape), x.shape[0]))
        w, row = self.weights(where, node.input[1], W)
        s, o, xb = self.layer_input(where, x, "conv3x3")
        if o is not None and np.any(o != 0):
            self.fail("%s: the input scaling has an offset (%s) and this first layer is a padded "
                      "convolution: padded positions are 0 in the scaled input but would be "
                      "pixel 0 in rramsim, so the network cannot be reproduced exactly; use "
                      "x = pixel/255 (--input-scale unit) or raw pixels" % (where, o.tolist()))
        n = w.shape[0]
        Cc = np.zeros(n)
        if len(cin) > 2 and cin[2] is not None:
            bv = np.asarray(cin[2], np.float64).reshape(-1)
            if not np.all(np.isfinite(bv)):
                self.fail("%s: bias '%s' has NaN or infinite values" % (where, node.input[2]))
            Cc = Cc + bv
        self.layers.append({"kind": "conv3x3", "weight": w, "node": where, "spatial_in": None})
        return Pre(len(self.layers) - 1, row * s, Cc, (n, x.shape[1], x.shape[2]),
                   xb * w.shape[1] * 9)

    def maxpool(self, where, attrs, x):
        if list(attrs.get("kernel_shape", [])) != [2, 2] or \
                list(attrs.get("strides", [1, 1])) != [2, 2] or \
                list(attrs.get("pads", [0, 0, 0, 0])) != [0, 0, 0, 0] or \
                attrs.get("ceil_mode", 0) != 0 or list(attrs.get("dilations", [1, 1])) != [1, 1]:
            self.fail("%s: kernel %s stride %s pads %s: rramsim supports 2x2 max-pooling with "
                      "stride 2, no padding only" % (where, list(attrs.get("kernel_shape", [])),
                                                     list(attrs.get("strides", [1, 1])),
                                                     list(attrs.get("pads", [0, 0, 0, 0]))))
        if len(x.shape) != 3:
            self.fail("%s: MaxPool of a tensor of shape %s" % (where, list(x.shape)))
        shape = (x.shape[0], x.shape[1] // 2, x.shape[2] // 2)
        if isinstance(x, Bin):
            self.layers.append({"kind": "maxpool2", "node": where})
            return Bin(shape, x.scale)
        if isinstance(x, Pre):
            y = Pre(x.layer, x.A, x.C, shape, x.bound)
            y.pools, y.off = x.pools + [where], x.off
            return y
        self.fail("%s: MaxPool of the raw input is not supported" % where)

    def flatten(self, where, op, attrs, x, cin):
        if op == "Flatten" and attrs.get("axis", 1) != 1:
            self.fail("%s: Flatten axis %s; only axis 1 (batch, features)" % (where,
                                                                                attrs.get("axis")))
        if op == "Reshape":
            tgt = np.asarray(cin[1]).reshape(-1) if cin[1] is not None else None
            feat = int(np.prod(x.shape))
            if tgt is None or len(tgt) != 2 or int(tgt[1]) not in (-1, feat):
                self.fail("%s: only a reshape to (batch, %d) (a flatten) is supported, got %s"
                          % (where, feat, None if tgt is None else tgt.tolist()))
        if len(x.shape) == 1:
            return x
        feat = int(np.prod(x.shape))
        if isinstance(x, Bin):
            return Bin((feat,), x.scale, flat_from=x.shape)
        if isinstance(x, Input):
            x.flat_from, x.shape = x.shape, (feat,)
            return x
        self.fail("%s: flattening a pre-activation before its binarisation is not supported"
                  % where)

    # -- binarisation --------------------------------------------------------------------------
    def binarize(self, where, cond):
        pre = cond.pre
        if pre.final:
            self.fail("%s: binarising the class scores" % where)
        L = self.layers[pre.layer]
        if pre.layer != len(self.layers) - 1 or "threshold" in L:
            self.fail("%s: binarises a layer that is already binarised" % where)
        n = cond.A.shape[0]
        if not (np.all(np.isfinite(cond.A)) and np.all(np.isfinite(cond.C))):
            self.fail("%s: the folded batch norm / affine of %s is not finite" % (where, L["node"]))
        if pre.off is not None:
            shift, num, _ = pre.off
            T, d, near = fold.offset_thresholds(cond.A, cond.C, cond.strict, shift, num,
                                                L["weight"].shape[1])
            L["input_offset"] = {"shift": shift, "num": num, "threshold": T}
            t = np.zeros(len(T), np.int32)  # derived by the model (bnn_model_set_input_offset)
        else:
            t, d, near = fold.thresholds(cond.A, cond.C, cond.strict, pre.bound)
        if pre.pools and np.any(d < 0):
            self.fail("%s: max-pooling before this binarisation is only exact when every "
                      "channel's binarisation is increasing, but %d channel(s) of %s have a "
                      "negative folded scale (e.g. batch-norm gamma < 0); pool after the "
                      "activation instead" % (pre.pools[0], int((d < 0).sum()), L["node"]))
        L["threshold"], L["direction"] = t, d
        self.near_ties += near
        for pw in pre.pools:
            self.layers.append({"kind": "maxpool2", "node": pw})
        b = Bin(pre.shape)
        b.src = pre
        return b

    def finish(self, last):
        L = self.layers[last.layer]
        A, C = last.A.astype(np.float64), last.C.astype(np.float64)
        if last.off is not None:  # a first layer that is the output: the offset stays folded
            C = C - A * last.off[2]
        if not (np.all(np.isfinite(A)) and np.all(np.isfinite(C))):
            self.fail("the output affine of %s is not finite" % L["node"])
        if np.all(A == A[0]) and A[0] > 0 and np.all(C == 0):
            affine, scale = None, float(np.float32(A[0]))
        else:
            affine, scale = (A, C), 1.0
        layers = []
        for L in self.layers:
            layers.append({k: v for k, v in L.items() if k not in ("node", "spatial_in")})
        return layers, affine, scale


def import_onnx(path, input_scale="unit", input_shape=None):
    """Imports an ONNX BNN. Returns (Model, report) — report: a dict (layers, near ties, output
    affine, input mapping) also stored in the model's provenance."""
    im = _Importer(path, input_scale, input_shape)
    im.load()
    layers, affine, scale = im.run()
    digest = hashlib.sha256(im.raw).hexdigest()
    im.raw = None
    prov = {"kind": "import", "source": "onnx", "file": os.path.basename(str(path)),
            "sha256": digest, "input_scale": im.input_scale,
            "opset": [int(o.version) for o in im.model.opset_import if o.domain in ("", "ai.onnx")],
            "producer": im.model.producer_name + " " + im.model.producer_version,
            "near_ties": im.near_ties, "trained": True}
    model = Model.from_layers(im.spatial_input, layers, output_affine=affine, output_scale=scale,
                              provenance=json.dumps(prov, sort_keys=True))
    report = dict(prov)
    report["layers"] = [L["kind"] for L in layers]
    report["output_affine"] = affine is not None
    return model, report
