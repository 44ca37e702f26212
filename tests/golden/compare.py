#!/usr/bin/env python3
"""compare.py A B — compares two invocations.sh output trees byte for byte, after blanking what is
wall-clock dependent (rates, seconds, wall times). Prints each differing file with a unified diff
and exits 1 if any differ. Fields documented as changed can be listed with --ignore REGEX."""
import argparse, difflib, gzip, json, os, re, sys

WALL_KEYS = re.compile(r"(wall|seconds|per_s$|^rate$)")
TEXT_SUBS = [
    (re.compile(r"[0-9][0-9.e+-]* (images/s|img/s|transactions/s|rec/s)"), r"N \1"),
    (re.compile(r"\b[0-9]+\.[0-9]+ s\b"), "N s"),
    (re.compile(r'"(seconds|images_per_s|wall_seconds)":\s*[0-9.e+-]+'), r'"\1": N'),
    (re.compile(r'"value":\s*[0-9.e+-]+(,\s*"unit":\s*"(s|transactions/s)")'), r'"value": N\1'),
]

def norm_json(v):
    if isinstance(v, dict):
        out = {}
        for k, x in v.items():
            if WALL_KEYS.search(k) and isinstance(x, (int, float)):
                out[k] = "N"
            elif WALL_KEYS.search(k) and isinstance(x, dict) and "value" in x:
                out[k] = dict(x, value="N")
            else:
                out[k] = norm_json(x)
        return out
    if isinstance(v, list):
        return [norm_json(x) for x in v]
    return v

def norm_csv(text):
    lines = text.splitlines()
    hdr = None
    for i, ln in enumerate(lines):
        if ln.startswith("#"):
            continue
        if hdr is None:
            hdr = ln.split(",")
            wcols = [j for j, h in enumerate(hdr) if WALL_KEYS.search(h)]
            continue
        cells = ln.split(",")
        for j in wcols:
            if j < len(cells):
                cells[j] = "N"
        lines[i] = ",".join(cells)
    return "\n".join(lines)

VERSION = re.compile(r"0\.1\.0\+[0-9a-f]+(-[0-9]+-g[0-9a-f]+)?(-dirty)?")
VERSION_B = re.compile(rb"0\.1\.0\+[0-9a-f]+(-[0-9]+-g[0-9a-f]+)?(-dirty)?")

def normalise(path, data):
    if path.endswith(".gz"):
        data = gzip.decompress(data)
    try:
        text = data.decode()
    except UnicodeDecodeError:
        # Binary (model files, checkpoints, .rrt traces): the tool version inside changes section
        # lengths and the checksum, so blank the version, the 8 bytes after each section tag and
        # the trailing 8 bytes; every other byte (weights, records) must match.
        if not VERSION_B.search(data):
            return data
        b = bytearray(data)
        for m in reversed(list(VERSION_B.finditer(data))):  # length prefixes before the version
            b[max(0, m.start() - 4):m.end()] = b"LENVERSION"
        b = bytearray(b)
        for m in re.finditer(rb"PROV", bytes(b)):
            b[m.end():m.end() + 8] = b"\0" * 8
        return bytes(b[:-8])
    text = VERSION.sub("VERSION", text)
    # A model file's identity is the CRC of its bytes, which hold the version string.
    text = re.sub(r"crc32:[0-9a-f]{8}", "crc32:MODEL", text)
    if path.endswith(".csv"):
        text = norm_csv(text)
    if path.endswith(".json"):
        try:
            return json.dumps(norm_json(json.loads(text)), indent=1, sort_keys=False).encode()
        except ValueError:
            pass
    out = []
    for ln in text.splitlines():
        s = ln.strip()
        if s.startswith("{") and s.endswith("}"):
            try:
                ln = json.dumps(norm_json(json.loads(s)))
            except ValueError:
                pass
        for rx, rep in TEXT_SUBS:
            ln = rx.sub(rep, ln)
        out.append(ln)
    return "\n".join(out).encode()

def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("a"); ap.add_argument("b")
    # .rrt headers hold the version inside length-prefixed, checksummed fields; their records are
    # compared through the .stl.gz the invocations convert them to.
    ap.add_argument("--ignore", action="append", default=[r"\.rrt$"],
                    help="regex of relative paths to skip (default: .rrt files)")
    args = ap.parse_args()
    files = set()
    for root in (args.a, args.b):
        for d, _, fs in os.walk(root):
            rel = os.path.relpath(d, root)
            if rel.split(os.sep)[0] == "work":
                continue
            files.update(os.path.normpath(os.path.join(rel, f)) for f in fs)
    bad = 0
    for f in sorted(files):
        if any(re.search(rx, f) for rx in args.ignore):
            continue
        pa, pb = os.path.join(args.a, f), os.path.join(args.b, f)
        if not (os.path.exists(pa) and os.path.exists(pb)):
            print(f"only in {'A' if os.path.exists(pa) else 'B'}: {f}"); bad += 1; continue
        da, db = open(pa, "rb").read(), open(pb, "rb").read()
        if da == db or normalise(f, da) == normalise(f, db):
            continue
        bad += 1
        print(f"--- differs: {f}")
        sys.stdout.writelines(difflib.unified_diff(
            normalise(f, da).decode(errors="replace").splitlines(True),
            normalise(f, db).decode(errors="replace").splitlines(True), n=1))
        print()
    print(f"compare: {len(files)} files, {bad} differ")
    return 1 if bad else 0

if __name__ == "__main__":
    sys.exit(main())
