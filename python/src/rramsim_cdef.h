/* rramsim_cdef.h — the C API the Python package binds: the CMake build runs this file through the
 * preprocessor into build/<preset>/python/rramsim_cdef.i (next to librramsim.so), and
 * rramsim/_native.py hands that text to cffi, so the package declares exactly what the headers
 * declare. Declaring more than the package calls costs nothing in cffi's ABI mode (a symbol is
 * looked up when first used). */
#include "bet/metric.h"
#include "bnn/bnn.h"
#include "bnn/data.h"
#include "bnn/mc.h"
#include "rramsim_py.h"
