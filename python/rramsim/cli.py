"""`rramsim model import` / `rramsim model export` (the C CLI runs `python3 -m rramsim.cli ...`,
apps/cmd_model_import.c). Errors: one line `rramsim model: ...` on stderr; exit 2 for usage, 1 for
a refused or unreadable input; no output file is left behind (the model file is written to a
temporary name and renamed by libbnn; the .npz likewise)."""
import json
import sys

CMD = "model"

IMPORT_USAGE = """usage: rramsim model import NET.onnx|NET.npz --out NET.bnn [options]

Imports a binarized network trained elsewhere (PyTorch → torch.onnx.export, or arrays in the
.npz schema of docs/python.md) into a rramsim model file. Batch norm / affine + sign are folded
exactly into integer thresholds; input scaling is folded into the first layer so the engine still
takes 8-bit pixels (an offset, as pm1 or norm:M:S, on a dense first layer becomes the model's input
offset, format version 3, whose term the engine takes from the weights it reads); an output batch
norm / per-class affine becomes the model's output affine (format version 2). Anything else is refused with one line naming the node and its op.
Runs the Python package (python/rramsim, needs python3-onnx and python3-numpy).

  --out FILE           model file to write (atomically)
  --input-scale S      how the network saw pixels p in 0..255: unit (x = p/255, default,
                       torchvision ToTensor), raw (x = p), pm1 (x = 2p/255 - 1),
                       norm:MEAN:STD (x = (p/255 - MEAN)/STD, comma lists per channel)
  --input-shape C,H,W  the image shape when the ONNX input has symbolic dimensions
  --json               print the import report as JSON
"""

EXPORT_USAGE = """usage: rramsim model export NET.bnn --npz OUT.npz

Writes a model as NumPy arrays (schema in docs/python.md): PyTorch-layout ±1 weights, integer
thresholds and directions, the output affine, the provenance. `rramsim model import OUT.npz`
gives back a bit-identical model file.
"""


def _err(msg, usage=False):
    sys.stderr.write("rramsim %s: %s%s\n" % (CMD, msg,
                                             " (see 'rramsim model %s --help')" % usage
                                             if usage else ""))
    return 2 if usage else 1


def _parse(argv, valued, flags, sub):
    """The CLI's convention (apps/cli.c, getopt_long): `--opt value` or `--opt=value`, flags
    alone, names in full, `--` ends the options."""
    pos, opts = [], {}
    i = 0
    while i < len(argv):
        a = argv[i]
        if a == "--":
            pos.extend(argv[i + 1:])
            break
        if a in ("-h", "--help"):
            sys.stdout.write(IMPORT_USAGE if sub == "import" else EXPORT_USAGE)
            raise SystemExit(0)
        name, eq, val = a.partition("=") if a.startswith("--") else (a, "", "")
        if name in valued:
            if eq:
                opts[name] = val
                i += 1
                continue
            if i + 1 >= len(argv):
                raise SystemExit(_err("option '%s' needs a value" % name, sub))
            opts[name] = argv[i + 1]
            i += 2
            continue
        if name in flags:
            if eq:
                raise SystemExit(_err("option '%s' takes no value" % name, sub))
            opts[name] = True
        elif a.startswith("-") and a != "-":
            raise SystemExit(_err("unknown option '%s'" % name, sub))
        else:
            pos.append(a)
        i += 1
    return pos, opts


def cmd_import(argv):
    pos, o = _parse(argv, ("--out", "--input-scale", "--input-shape"), ("--json",), "import")
    if len(pos) != 1 or "--out" not in o:
        return _err("import needs one NET.onnx or NET.npz and --out FILE", "import")
    src, out = pos[0], o["--out"]
    shape = None
    if "--input-shape" in o:
        try:
            shape = tuple(int(v) for v in o["--input-shape"].split(","))
            if len(shape) != 3 or min(shape) < 1:
                raise ValueError
        except ValueError:
            return _err("--input-shape: expected C,H,W (three positive integers), got '%s'"
                        % o["--input-shape"], "import")
    if not src.endswith((".onnx", ".npz")):
        return _err("%s: expected a .onnx or .npz file" % src, "import")
    import rramsim
    from rramsim.errors import RramsimError
    try:
        if src.endswith(".npz"):
            if "--input-scale" in o or shape:
                return _err("--input-scale/--input-shape: not for .npz (the archive's "
                            "input_scale and input_shape say it)", "import")
            model, report = rramsim.import_npz(src)
        elif src.endswith(".onnx"):
            model, report = rramsim.import_onnx(src, o.get("--input-scale", "unit"), shape)
        else:
            return _err("%s: expected a .onnx or .npz file" % src, "import")
        model.save(out)
    except RramsimError as e:
        return _err(str(e))
    if o.get("--json"):
        report["out"] = out
        print(json.dumps(report, sort_keys=True))
    else:
        print("wrote %s (%s, %s; %d near-tie thresholds%s)" % (
            out, report.get("source"), "-".join(report["layers"]), report.get("near_ties", 0),
            ", output affine" if report.get("output_affine") else ""))
    return 0


def cmd_export(argv):
    pos, o = _parse(argv, ("--npz",), (), "export")
    if len(pos) != 1 or "--npz" not in o:
        return _err("export needs one NET.bnn and --npz OUT.npz", "export")
    import rramsim
    from rramsim.errors import RramsimError
    try:
        rramsim.export_npz(rramsim.Model.load(pos[0]), o["--npz"])
    except RramsimError as e:
        return _err(str(e))
    print("wrote %s" % o["--npz"])
    return 0


def main(argv=None):
    argv = sys.argv[1:] if argv is None else argv
    if not argv or argv[0] not in ("import", "export"):
        return _err("expected import or export", "import")
    try:
        return (cmd_import if argv[0] == "import" else cmd_export)(argv[1:])
    except ImportError as e:
        return _err("the Python package cannot load: %s (bash .ci/setup installs "
                    "python3-onnx, python3-numpy, python3-cffi)" % e)


if __name__ == "__main__":
    sys.exit(main())
