"""Loading librramsim.so (libbnn + libbet + the helpers of python/src/rramsim_py.c) via cffi.

ABI mode: the declarations below are parsed by cffi at import time and the shared library is
opened with dlopen, so the package has no compiled extension module of its own (nothing to build
at `pip install` time beyond copying the library the CMake build made).

The library is searched in this order:
  1. $RRAMSIM_LIB (a path to librramsim.so);
  2. rramsim/_lib/librramsim.so inside the installed package (`pip install ./python` copies it);
  3. <repo>/build/<preset>/python/librramsim.so for the presets release, debug (the source tree's
     package used straight from a checkout: PYTHONPATH=python).
"""
import os

import cffi

from .errors import RramsimError

CDEF = r"""
typedef int bnn_status; /* enum bnn_status: 0 = BNN_OK, negative = error */
typedef struct bnn_model bnn_model;
typedef struct bnn_port bnn_port;
typedef struct bnn_engine bnn_engine;
typedef enum bnn_layer_kind { BNN_LAYER_DENSE = 0, BNN_LAYER_CONV3X3 = 1, BNN_LAYER_MAXPOOL2 = 2,
                              BNN_LAYER_KIND_COUNT } bnn_layer_kind;
typedef struct bnn_layer_info {
  bnn_layer_kind kind;
  uint32_t in_c, in_h, in_w;
  uint32_t out_c, out_h, out_w;
  uint32_t fan_in;
  int input_u8;
  int is_output;
  int weight_layer_index;
  uint64_t weight_addr;
  uint64_t row_bytes;
  uint64_t weight_bytes;
} bnn_layer_info;
typedef struct bnn_error_params {
  double write_p01, write_p10, read_p01, read_p10;
  uint64_t seed;
  uint64_t layer_mask;
} bnn_error_params;
typedef enum bnn_kernel { BNN_KERNEL_AUTO = 0, BNN_KERNEL_REF = 1, BNN_KERNEL_AVX2 = 2,
                          BNN_KERNEL_AVX512 = 3, BNN_KERNEL_COUNT } bnn_kernel;
typedef struct bnn_infer_params { int threads; uint32_t weight_reuse; bnn_kernel kernel; }
    bnn_infer_params;
typedef struct bnn_dataset {
  uint32_t n;
  uint32_t c, h, w;
  uint32_t n_classes;
  uint8_t *images;
  uint8_t *labels;
  char name[64];
} bnn_dataset;
typedef struct bnn_mc_params {
  uint64_t reps, seed, layer_mask;
  bnn_infer_params infer;
} bnn_mc_params;
typedef struct bnn_mc_stats { double mean, std, min, max; } bnn_mc_stats;

const char *bnn_errmsg(void);
const char *bnn_status_str(bnn_status s);
bnn_status bnn_model_create(bnn_model **out, uint32_t in_c, uint32_t in_h, uint32_t in_w);
bnn_status bnn_model_add_dense(bnn_model *m, uint32_t n_out, const int8_t *w, const int32_t *thresh,
                               const int8_t *dir);
bnn_status bnn_model_add_conv3x3(bnn_model *m, uint32_t c_out, const int8_t *w,
                                 const int32_t *thresh, const int8_t *dir);
bnn_status bnn_model_add_maxpool2(bnn_model *m);
void bnn_model_set_output_scale(bnn_model *m, float scale);
bnn_status bnn_model_set_output_affine(bnn_model *m, const double *scale, const double *offset);
int bnn_model_output_affine(const bnn_model *m, double *scale, double *offset);
bnn_status bnn_model_set_provenance(bnn_model *m, const char *json);
bnn_status bnn_model_save(const bnn_model *m, const char *path);
bnn_status bnn_model_load(bnn_model **out, const char *path);
void bnn_model_free(bnn_model *m);
uint32_t bnn_model_n_layers(const bnn_model *m);
bnn_status bnn_model_layer(const bnn_model *m, uint32_t i, bnn_layer_info *info);
void bnn_model_input_shape(const bnn_model *m, uint32_t *c, uint32_t *h, uint32_t *w);
uint32_t bnn_model_n_classes(const bnn_model *m);
float bnn_model_output_scale(const bnn_model *m);
const char *bnn_model_provenance(const bnn_model *m);
int bnn_model_weight(const bnn_model *m, uint32_t layer, uint32_t o, uint32_t i);
bnn_status bnn_model_threshold(const bnn_model *m, uint32_t layer, uint32_t o, int32_t *t,
                               int8_t *d);
const uint8_t *bnn_model_weight_image(const bnn_model *m, uint64_t *size);
uint64_t bnn_model_preact_count(const bnn_model *m);
bnn_status bnn_model_preact_batch(const bnn_model *m, const uint8_t *images, size_t n,
                                  int32_t *out);
bnn_error_params bnn_error_default_params(void);
bnn_infer_params bnn_infer_default_params(void);
int bnn_kernel_available(bnn_kernel k);
bnn_status bnn_dataset_open(bnn_dataset *out, const char *spec, const char *split, uint32_t limit);
void bnn_dataset_free(bnn_dataset *d);
bnn_mc_params bnn_mc_default_params(void);
bnn_status bnn_mc_sweep(const bnn_model *m, const bnn_dataset *ds, const double *bers,
                        size_t n_bers, const bnn_mc_params *p, void *progress,
                        void *ud, bnn_mc_stats *out, double *per_rep, uint64_t *flips);
bnn_status bnn_mc_check(const bnn_model *m, const bnn_dataset *ds);

int rrpy_eval_chunk(void);
int rrpy_evaluate(const bnn_model *m, const uint8_t *images, const uint8_t *labels, size_t n,
                  const bnn_error_params *ep, uint64_t reps, int threads, int kernel,
                  uint32_t weight_reuse, double *acc, uint8_t *pred, int32_t *scores,
                  uint64_t *flips);
"""

CDEF_BET = r"""
typedef struct bet_metric_layer {
  uint32_t layer, neurons, positions, fan_in;
  int is_conv, input_u8, is_output;
  double m_mean, m_q10, m_q50, m_q90;
  double mn_mean;
  double frac_le[4];
  double pflip_mean;
} bet_metric_layer;
typedef struct bet_metric_result {
  uint32_t n_images, n_layers;
  bet_metric_layer *layers;
  double accuracy, hidden_mn_mean, hidden_pflip_mean, ber;
} bet_metric_result;
typedef struct bet_predict_params { int threads; int stratified_mean; } bet_predict_params;
bnn_status bet_metric_compute(const bnn_model *m, const bnn_dataset *ds, double ber,
                              bet_metric_result *out);
void bet_metric_result_free(bet_metric_result *r);
bet_predict_params bet_predict_default_params(void);
bnn_status bet_predict_accuracy(const bnn_model *m, const bnn_dataset *ds, const double *ber,
                                size_t n_ber, const bet_predict_params *p, double *acc_out);
"""

ffi = cffi.FFI()
ffi.cdef(CDEF)
ffi.cdef(CDEF_BET)

_HERE = os.path.dirname(os.path.abspath(__file__))
LIBNAME = "librramsim.so"


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


def _open():
    tried = library_candidates()
    for path in tried:
        if os.path.isfile(path):
            lib = ffi.dlopen(path)
            return lib, path
    raise ImportError(
        "rramsim: librramsim.so not found (tried %s); build it with "
        "`cmake --build build/release --target rramsim_py` or set RRAMSIM_LIB" % ", ".join(tried))


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
