#!/usr/bin/env python3
"""Shows a device file's values with the source of each (its "provenance" and "sources", see
configs/README.md) as markdown tables, the ones docs/device-presets.md holds.

usage: provenance_table.py DEVICE.json        print the tables of one device file
       provenance_table.py --check DOC        exit 1 if a table of DOC differs from its device file
       provenance_table.py --write DOC        rewrite the tables of DOC from the device files

In DOC a table stands between the lines '<!-- provenance: configs/devices/NAME.json -->' and
'<!-- /provenance -->' (the path relative to the repository); --write replaces what is between.
Only the standard library: it runs wherever python3 does.
"""
import json
import os
import re
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BLOCK = re.compile(r"(<!-- provenance: (\S+) -->\n)(.*?)(<!-- /provenance -->)", re.S)
OPS = "operating_points"


def tag_of(prov, path):
    """The most specific entry for `path`: itself, '*' for its operating point, then its blocks."""
    segs = path.split(".")
    while segs:
        cands = [".".join(segs)]
        if segs[0] == OPS and len(segs) > 1:
            cands.append(".".join([OPS, "*"] + segs[2:]))
        for c in cands:
            if c in prov:
                return prov[c]
        segs = segs[:-1]
    return "(none)"


def fmt(v):
    if isinstance(v, bool) or isinstance(v, str):
        return str(v).lower() if isinstance(v, bool) else v
    if isinstance(v, (int, float)):
        return "%g" % v
    return json.dumps(v)


def leaves(j, at):
    """(path, value) of every value below `j`, in file order ("name"/"description" aside)."""
    if isinstance(j, dict):
        for k, v in j.items():
            if k not in ("name", "description"):
                yield from leaves(v, at + "." + k if at else k)
    else:
        yield at, j


def tables(dev):
    prov = dev.get("provenance", {})
    points = dev[OPS]
    names = [p["name"] for p in points]
    keys = []
    for p in points:
        keys += [k for k in p if k != "name" and k not in keys]
    out = ["| operating point | " + " | ".join(names) + " | source |",
           "| --- |" + " --- |" * (len(names) + 1)]
    for k in keys:
        tags = [tag_of(prov, "%s.%s.%s" % (OPS, n, k)) for n, p in zip(names, points) if k in p]
        common = max(set(tags), key=tags.count)
        odd = ["%s: %s" % (n, tag_of(prov, "%s.%s.%s" % (OPS, n, k)))
               for n, p in zip(names, points)
               if k in p and tag_of(prov, "%s.%s.%s" % (OPS, n, k)) != common]
        cells = [fmt(p[k]) if k in p else "" for p in points]
        out.append("| `%s` | %s | %s |" % (k, " | ".join(cells), "; ".join([common] + odd)))
    out += ["", "| parameter | value | source |", "| --- | --- | --- |"]
    for k, v in dev.items():
        if k in ("name", "description", "sources", "provenance", OPS):
            continue
        for path, val in leaves(v, k):
            out.append("| `%s` | %s | %s |" % (path, fmt(val), tag_of(prov, path)))
    out += ["", "| tag | source |", "| --- | --- |"]
    for t, text in dev.get("sources", {}).items():
        out.append("| %s | %s |" % (t, text.replace("|", "\\|")))
    return "\n".join(out) + "\n"


def load(rel):
    with open(os.path.join(ROOT, rel)) as f:
        return json.load(f)


def main(argv):
    if len(argv) == 2 and not argv[1].startswith("--"):
        with open(argv[1]) as f:
            sys.stdout.write(tables(json.load(f)))
        return 0
    if len(argv) != 3 or argv[1] not in ("--check", "--write"):
        sys.stderr.write(__doc__)
        return 2
    doc = argv[2]
    with open(doc) as f:
        text = f.read()
    blocks = BLOCK.findall(text)
    if not blocks:
        sys.stderr.write("%s: no '<!-- provenance: FILE -->' block\n" % doc)
        return 1
    if argv[1] == "--check":
        stale = [rel for _, rel, body, _ in blocks if body != tables(load(rel))]
        for rel in stale:
            sys.stderr.write("%s: the table of %s is not what the file says; run %s --write %s\n"
                             % (doc, rel, argv[0], doc))
        return 1 if stale else 0
    new = BLOCK.sub(lambda m: m.group(1) + tables(load(m.group(2))) + m.group(4), text)
    fd, tmp = tempfile.mkstemp(dir=os.path.dirname(os.path.abspath(doc)), suffix=".tmp")
    with os.fdopen(fd, "w") as f:
        f.write(new)
    os.replace(tmp, doc)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
