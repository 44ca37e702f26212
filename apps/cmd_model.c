/* cmd_model.c — `rramsim model info|random`: inspect a model file, or write a random-weight one. */
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bnn/bnn.h"
#include "bnn/rng.h"
#include "output.h"
#include "cli.h"
#include "cmd_model_import.h"
#include "commands.h"

static const char *const CMD = "model";

static void usage(FILE *f) {
  fprintf(
      f,
      "usage: rramsim model info FILE\n"
      "       rramsim model random --arch ARCH --seed S --out FILE [--pixel-mean M]\n"
      "       rramsim model import NET.onnx|NET.npz --out FILE [--input-scale S] [...]\n"
      "       rramsim model export FILE --npz OUT.npz\n\n"
      "info    prints the input shape, every layer (kind, shapes, fan-in, weight bytes), the\n"
      "        output scale, the output affine and input offset if any (the pixel offset q of\n"
      "        an encoding such as [-1, 1], taken from the stored weights) and the provenance\n"
      "        JSON of a model file.\n"
      "random  writes a model with uniformly random ±1 weights — a stand-in until a trained\n"
      "        model exists (its accuracy is chance level). ARCH is 784-2048-2048-10 (any\n"
      "        dash list of widths: the first is the input size, a square s*s or 3*s*s image),\n"
      "        vgg3 (28x28x1) or vgg7 (32x32x3). Thresholds are set so activations are\n"
      "        balanced: for ±1 inputs t = 0 (the dot is symmetric around 0); for the pixel\n"
      "        layer t = round(M * sum of the neuron's weights), the expected pre-activation\n"
      "        for pixels of mean M (default 73, the Fashion-MNIST mean). Directions are +1.\n"
      "        The provenance records arch, seed and pixel mean.\n"
      "import  a BNN trained elsewhere (ONNX from torch.onnx.export, or the .npz schema),\n"
      "        folded exactly into a model file; export writes a model as .npz. Both run\n"
      "        the Python package: rramsim model import --help, docs/python.md.\n");
}

static int info(const char *path) {
  bnn_model *m = NULL;
  if (bnn_model_load(&m, path) != BNN_OK) return cli_error(CMD, "%s", bnn_errmsg());
  uint32_t c, h, w;
  bnn_model_input_shape(m, &c, &h, &w);
  uint64_t wbytes;
  bnn_model_weight_image(m, &wbytes);
  printf("model: %s\n", path);
  printf("input: %ux%ux%u (h x w x c, 8-bit pixels)\n", h, w, c);
  printf("%-5s %-9s %-16s %-16s %9s %10s %12s  %s\n", "layer", "kind", "input (hxwxc)",
         "output (hxwxc)", "fan-in", "row bytes", "weight bytes", "role");
  uint64_t params = 0;
  for (uint32_t i = 0; i < bnn_model_n_layers(m); ++i) {
    bnn_layer_info I;
    bnn_model_layer(m, i, &I);
    char in[32], out[32];
    snprintf(in, sizeof in, "%ux%ux%u", I.in_h, I.in_w, I.in_c);
    snprintf(out, sizeof out, "%ux%ux%u", I.out_h, I.out_w, I.out_c);
    const char *role = I.weight_layer_index < 0 ? ""
                       : I.is_output            ? "output (integer scores)"
                       : I.input_u8             ? "hidden, 8-bit input"
                                                : "hidden";
    printf("%-5u %-9s %-16s %-16s %9u %10" PRIu64 " %12" PRIu64 "  %s\n", i,
           bnn_layer_kind_str(I.kind), in, out, I.fan_in, I.row_bytes, I.weight_bytes, role);
    if (I.weight_layer_index >= 0) params += (uint64_t)I.fan_in * I.out_c;
  }
  printf("classes: %u\n", bnn_model_n_classes(m));
  printf("binary weights: %" PRIu64 " (%" PRIu64 " bytes packed, incl. row padding)\n", params,
         wbytes);
  printf("output scale: %g\n", (double)bnn_model_output_scale(m));
  if (bnn_model_output_affine(m, NULL, NULL)) /* format version 2 only: v1 output unchanged */
    printf("output affine: per class (prediction = arg-max of scale*score + offset)\n");
  uint32_t shift = 0;
  if (bnn_model_input_offset(m, &shift, NULL, NULL)) { /* format version 3 only */
    int64_t num[64];
    bnn_model_input_offset(m, NULL, num, NULL);
    printf(
        "input encoding: offset from the stored weights (layer 0 sees x = (p - q)/s, "
        "q = N/2^%u per channel:",
        shift);
    for (uint32_t k = 0; k < c; ++k)
      printf("%s%.10g (N %" PRId64 ")", k ? ", " : " ", ldexp((double)num[k], -(int)shift), num[k]);
    printf(")\n");
  }
  const char *prov = bnn_model_provenance(m);
  printf("provenance: %s\n", *prov ? prov : "(none)");
  bnn_model_free(m);
  return CLI_EXIT_OK;
}

/* One layer of a random architecture. */
typedef struct spec {
  char kind; /* 'd', 'c', 'p' */
  uint32_t n;
} spec;

static int parse_arch(const char *arch, spec *s, int max, int *n, uint32_t *c, uint32_t *h,
                      uint32_t *w) {
  *n = 0;
  if (!strcmp(arch, "vgg3")) {
    static const spec v[] = {{'c', 64}, {'p', 0}, {'c', 64}, {'p', 0}, {'d', 2048}, {'d', 10}};
    memcpy(s, v, sizeof v), *n = 6, *c = 1, *h = *w = 28;
    return 1;
  }
  if (!strcmp(arch, "vgg7")) {
    static const spec v[] = {{'c', 128}, {'c', 128}, {'p', 0}, {'c', 256},  {'c', 256}, {'p', 0},
                             {'c', 512}, {'c', 512}, {'p', 0}, {'d', 1024}, {'d', 10}};
    memcpy(s, v, sizeof v), *n = 11, *c = 3, *h = *w = 32;
    return 1;
  }
  const char *p = arch;
  uint64_t vals[65];
  int k = 0;
  while (*p) {
    char *end;
    unsigned long long v = strtoull(p, &end, 10);
    if (end == p || v == 0 || v > 65536 || (*end && *end != '-') || k == 65) return 0;
    vals[k++] = v;
    p = *end ? end + 1 : end;
    if (*end == '-' && !*p) return 0;
  }
  if (k < 2 || k - 1 > max) return 0;
  uint64_t in = vals[0], r = (uint64_t)llround(sqrt((double)in)),
           r3 = (uint64_t)llround(sqrt((double)in / 3.0));
  if (r * r == in)
    *c = 1, *h = *w = (uint32_t)r;
  else if (3 * r3 * r3 == in)
    *c = 3, *h = *w = (uint32_t)r3;
  else
    *c = (uint32_t)in, *h = *w = 1;
  for (int i = 1; i < k; ++i) s[i - 1].kind = 'd', s[i - 1].n = (uint32_t)vals[i];
  *n = k - 1;
  return 1;
}

typedef struct random_opts {
  const char *arch, *out;
  uint64_t seed;
  int have_seed;
  double pixel_mean;
} random_opts;

static cli_opt_result random_option(void *ud, const char *a, const char *v) {
  random_opts *o = (random_opts *)ud;
  if (!a) return CLI_OPT_UNKNOWN; /* no positional arguments */
  if (!strcmp(a, "--arch"))
    o->arch = v;
  else if (!strcmp(a, "--out"))
    o->out = v;
  else if (!strcmp(a, "--seed")) {
    if (!cli_parse_u64(CMD, a, v, 0, UINT64_MAX, &o->seed)) return CLI_OPT_BAD;
    o->have_seed = 1;
  } else if (!strcmp(a, "--pixel-mean")) {
    if (!cli_parse_double(CMD, a, v, 0, 255, &o->pixel_mean)) return CLI_OPT_BAD;
  } else
    return CLI_OPT_UNKNOWN;
  return CLI_OPT_TAKEN;
}

static int random_model(int argc, char **argv) {
  random_opts ro = {NULL, NULL, 0, 0, 73.0};
  static const cli_option opts[] = {{"arch", 1, NULL, NULL},
                                    {"out", 1, NULL, NULL},
                                    {"seed", 1, NULL, NULL},
                                    {"pixel-mean", 1, NULL, NULL},
                                    {NULL, 0, NULL, NULL}};
  int prc;
  if (!cli_parse_options(CMD, argc, argv, 2, opts, random_option, &ro, usage, &prc)) return prc;
  const char *arch = ro.arch, *out = ro.out;
  const uint64_t seed = ro.seed;
  const int have_seed = ro.have_seed;
  const double pixel_mean = ro.pixel_mean;
  if (!arch || !out || !have_seed)
    return cli_usage_error(CMD, "random needs --arch, --seed and --out");
  if (!cli_output_claim(CMD, "--out", out)) return CLI_EXIT_FAIL;
  spec s[64];
  int n;
  uint32_t c, h, w;
  if (!parse_arch(arch, s, 64, &n, &c, &h, &w))
    return cli_usage_error(CMD,
                           "--arch: expected vgg3, vgg7 or a dash list of 2..65 widths in [1, "
                           "65536] like 784-2048-2048-10, got '%s'",
                           arch);
  bnn_model *m = NULL;
  if (bnn_model_create(&m, c, h, w) != BNN_OK)
    return cli_error(CMD, "--arch %s: %s", arch, bnn_errmsg());
  bnn_rng r = bnn_rng_make(seed, 0);
  int8_t *wt = NULL;
  int32_t *th = NULL;
  int8_t *dir = NULL;
  int rc = CLI_EXIT_OK;
  for (int l = 0; l < n && rc == CLI_EXIT_OK; ++l) {
    bnn_status st;
    if (s[l].kind == 'p') {
      st = bnn_model_add_maxpool2(m);
    } else {
      uint32_t nl = bnn_model_n_layers(m), ic = c, ih = h, iw = w;
      int first = 1;
      for (uint32_t i = 0; i < nl; ++i) {
        bnn_layer_info I;
        bnn_model_layer(m, i, &I);
        if (I.weight_layer_index >= 0) first = 0;
        ic = I.out_c, ih = I.out_h, iw = I.out_w;
      }
      uint64_t fan = s[l].kind == 'c' ? 9ull * ic : (uint64_t)ic * ih * iw;
      uint64_t total = fan * s[l].n;
      if (total > (1ull << 31)) {
        rc = cli_error(CMD, "--arch %s: layer %d has %" PRIu64 " weights (above 2^31)", arch, l,
                       total);
        break;
      }
      wt = (int8_t *)malloc((size_t)total);
      th = (int32_t *)malloc(s[l].n * sizeof *th);
      dir = (int8_t *)malloc(s[l].n);
      if (!wt || !th || !dir) {
        rc = cli_error(CMD, "out of memory");
        break;
      }
      for (uint32_t o = 0; o < s[l].n; ++o) {
        int64_t sum = 0;
        for (uint64_t i = 0; i < fan; i += 64) {
          uint64_t bits = bnn_rng_u64(&r);
          for (uint64_t b = 0; b < 64 && i + b < fan; ++b) {
            int8_t v = (bits >> b) & 1 ? -1 : 1;
            wt[o * fan + i + b] = v;
            sum += v;
          }
        }
        th[o] = first ? (int32_t)llround(pixel_mean * (double)sum) : 0;
        dir[o] = 1;
      }
      int is_out = l == n - 1;
      if (s[l].kind == 'c')
        st = bnn_model_add_conv3x3(m, s[l].n, wt, th, dir);
      else
        st = bnn_model_add_dense(m, s[l].n, wt, is_out ? NULL : th, is_out ? NULL : dir);
      free(wt), free(th), free(dir);
      wt = NULL, th = NULL, dir = NULL;
    }
    if (st != BNN_OK) rc = cli_error(CMD, "--arch %s: %s", arch, bnn_errmsg());
  }
  free(wt), free(th), free(dir);
  if (rc == CLI_EXIT_OK) {
    /* pixel_mean keeps its %g spelling (cli_json_real: 6 significant digits, integers as such) */
    json_t *pm = cli_json_real(pixel_mean, 6, 1);
    char tool[160];
    snprintf(tool, sizeof tool, "rramsim %s model random", cli_version());
    char *prov =
        cli_json_text(json_pack("{s:o, s:o, s:o, s:o, s:b, s:o}", "kind", json_string("random"),
                                "arch", cli_json_string(arch), "seed", cli_json_u64(seed),
                                "pixel_mean", pm, "trained", 0, "tool", cli_json_string(tool)),
                      JSON_REAL_PRECISION(15));
    if (!prov)
      rc = cli_error(CMD, "out of memory");
    else if (bnn_model_set_provenance(m, prov) != BNN_OK || bnn_model_save(m, out) != BNN_OK)
      rc = cli_error(CMD, "%s", bnn_errmsg());
    else
      printf("wrote %s (%s, seed %" PRIu64 ", random weights)\n", out, arch, seed);
    free(prov);
  }
  bnn_model_free(m);
  return rc;
}

/* model info's positional arguments: one FILE expected; a second is kept to say so. */
typedef struct info_args {
  const char *files[2];
  int n;
} info_args;

static cli_opt_result info_arg(void *ud, const char *a, const char *v) {
  info_args *ia = (info_args *)ud;
  if (a) return CLI_OPT_UNKNOWN;
  if (ia->n < 2) ia->files[ia->n] = v;
  ia->n += ia->n < 2;
  return CLI_OPT_TAKEN;
}

int cli_cmd_model(int argc, char **argv) {
  if (argc < 2 || !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
    usage(argc < 2 ? stderr : stdout);
    return argc < 2 ? CLI_EXIT_USAGE : CLI_EXIT_OK;
  }
  if (!strcmp(argv[1], "info")) {
    info_args ia = {{NULL, NULL}, 0};
    int rc;
    if (!cli_parse_options(CMD, argc, argv, 2, NULL, info_arg, &ia, usage, &rc)) return rc;
    if (ia.n != 1) return cli_usage_error(CMD, "info takes exactly one FILE");
    return info(ia.files[0]);
  }
  if (!strcmp(argv[1], "random")) return random_model(argc, argv);
  if (!strcmp(argv[1], "import") || !strcmp(argv[1], "export"))
    return cli_cmd_model_pyimport(argc - 1, argv + 1); /* cmd_model_import.c: the Python package */
  return cli_usage_error(CMD, "unknown subcommand '%s' (info, random, import, export)", argv[1]);
}
