"""Loading librramsim.so (libbnn + libbet + the helpers of python/src/rramsim_py.c) via cffi.

ABI mode: the declarations are parsed by cffi at import time and the shared library is opened
with dlopen, so the package has no compiled extension module of its own (nothing to build at
`pip install` time beyond copying the files the CMake build made). The declarations are the C
headers themselves: the build preprocesses python/src/rramsim_cdef.h into rramsim_cdef.i next to
the library, and this module reads that file (dropping the bodies of the headers' static inline
functions, which cffi does not parse and the package does not call).

The library is searched in this order:
  1. $RRAMSIM_LIB (a path to librramsim.so);
  2. rramsim/_lib/librramsim.so inside the installed package (`pip install ./python` copies it);
  3. <repo>/build/<preset>/python/librramsim.so for the presets release, debug (the source tree's
     package used straight from a checkout: PYTHONPATH=python).
"""
import os

import cffi

from .errors import RramsimError

_HERE = os.path.dirname(os.path.abspath(__file__))
LIBNAME = "librramsim.so"
CDEFNAME = "rramsim_cdef.i"  # the C declarations, beside the library (see the module docstring)


def library_candidates():
    """The paths tried for librramsim.so, in order."""
    out = []
    if os.environ.get("RRAMSIM_LIB"):
        out.append(os.environ["RRAMSIM_LIB"])
    out.append(os.path.join(_HERE, "_lib", LIBNAME))
    repo = os.path.dirname(os.path.dirname(_HERE))
    for preset in ("release", "debug"):
        out.append(os.path.join(repo, "build", preset, "python", LIBNAME))
    return out


def declarations(text):
    """The preprocessed headers without the bodies of their static inline functions."""
    out, pos = [], 0
    while (start := text.find("static inline", pos)) >= 0:
        end, depth = text.index("{", start), 0
        while True:  # to the brace that closes the body
            depth += {"{": 1, "}": -1}.get(text[end], 0)
            if depth == 0:
                break
            end += 1
        out.append(text[pos:start])
        pos = end + 1
    return "".join(out) + text[pos:]


def _open():
    tried = library_candidates()
    for path in tried:
        if os.path.isfile(path):
            cdef = os.path.join(os.path.dirname(path), CDEFNAME)
            try:
                with open(cdef, encoding="utf-8") as f:
                    ffi.cdef(declarations(f.read()))
            except OSError as e:
                raise ImportError("rramsim: %s: cannot read the C declarations built with the "
                                  "library (%s)" % (cdef, e.strerror)) from None
            return ffi.dlopen(path), path
    raise ImportError(
        "rramsim: librramsim.so not found (tried %s); build it with "
        "`cmake --build build/release --target rramsim_py` or set RRAMSIM_LIB" % ", ".join(tried))


ffi = cffi.FFI()
lib, LIBPATH = _open()
try:
    lib.bet_predict_default_params
    HAVE_BET = True
except AttributeError:
    HAVE_BET = False


def check(status, what=""):
    """Raises RramsimError with libbnn's message when status is not BNN_OK."""
    if status != 0:
        msg = ffi.string(lib.bnn_errmsg()).decode("utf-8", "replace")
        raise RramsimError((what + ": " if what else "") + msg)
