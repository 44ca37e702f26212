/* arch.c — libbet's architecture names: parsing "fcnn", "vgg3", "vgg7" and "IN-H1-...-OUT" into a
 * bet_arch, and the names of the loss, flip-gradient and batch-norm-statistics enums. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bet_impl.h"

/* ---- enums ---------------------------------------------------------------------------------- */

static const char *const loss_names[BET_LOSS_COUNT] = {
    [BET_LOSS_CE] = "ce", [BET_LOSS_MHL] = "mhl"};
_Static_assert(sizeof loss_names / sizeof loss_names[0] == BET_LOSS_COUNT, "loss table");
static const char *const flip_grad_names[BET_FLIP_GRAD_COUNT] = {
    [BET_FLIP_GRAD_SIGN] = "sign", [BET_FLIP_GRAD_STRAIGHT] = "straight"};
_Static_assert(sizeof flip_grad_names / sizeof flip_grad_names[0] == BET_FLIP_GRAD_COUNT,
               "flip-grad table");
static const char *const bn_stats_names[BET_BN_STATS_COUNT] = {
    [BET_BN_RUNNING] = "running", [BET_BN_TRAIN_SET] = "train-set"};
_Static_assert(sizeof bn_stats_names / sizeof bn_stats_names[0] == BET_BN_STATS_COUNT,
               "bn-stats table");

const char *bet_loss_str(bet_loss l) {
  return (unsigned)l < BET_LOSS_COUNT ? loss_names[l] : "?";
}
const char *bet_flip_grad_str(bet_flip_grad g) {
  return (unsigned)g < BET_FLIP_GRAD_COUNT ? flip_grad_names[g] : "?";
}
const char *bet_reg_layers_str(bet_reg_layers r) {
  return r == BET_REG_HIDDEN ? "hidden" : r == BET_REG_ALL ? "all" : "?";
}
const char *bet_input_range_str(bet_input_range r) {
  return r == BET_INPUT_01 ? "01" : r == BET_INPUT_PM1 ? "pm1" : "?";
}
const char *bet_bn_stats_str(bet_bn_stats b) {
  return (unsigned)b < BET_BN_STATS_COUNT ? bn_stats_names[b] : "?";
}

/* ---- architecture --------------------------------------------------------------------------- */

static void arch_add(bet_arch *a, bet_layer_kind k, uint32_t n_out, int pool) {
  a->layers[a->n_layers].kind = k;
  a->layers[a->n_layers].n_out = n_out;
  a->layers[a->n_layers].pool = pool;
  a->n_layers++;
}

bnn_status bet_arch_parse(const char *s, uint32_t n_classes, bet_arch *out) {
  if (!s || !out || n_classes < 2) return bnn_fail(BNN_E_ARG, "arch: need a name and ≥ 2 classes");
  memset(out, 0, sizeof *out);
  snprintf(out->name, sizeof out->name, "%s", s);
  if (!strcmp(s, "fcnn")) {
    arch_add(out, BET_DENSE, 2048, 0);
    arch_add(out, BET_DENSE, 2048, 0);
    arch_add(out, BET_DENSE, n_classes, 0);
    return BNN_OK;
  }
  if (!strcmp(s, "vgg3")) {
    arch_add(out, BET_CONV3X3, 64, 1);
    arch_add(out, BET_CONV3X3, 64, 1);
    arch_add(out, BET_DENSE, 2048, 0);
    arch_add(out, BET_DENSE, n_classes, 0);
    return BNN_OK;
  }
  if (!strcmp(s, "vgg7")) {
    arch_add(out, BET_CONV3X3, 128, 0);
    arch_add(out, BET_CONV3X3, 128, 1);
    arch_add(out, BET_CONV3X3, 256, 0);
    arch_add(out, BET_CONV3X3, 256, 1);
    arch_add(out, BET_CONV3X3, 512, 0);
    arch_add(out, BET_CONV3X3, 512, 1);
    arch_add(out, BET_DENSE, 1024, 0);
    arch_add(out, BET_DENSE, n_classes, 0);
    return BNN_OK;
  }
  /* IN-H1-...-OUT */
  const char *p = s;
  uint32_t widths[BET_MAX_LAYERS + 1];
  uint32_t nw = 0;
  while (1) {
    char *end = NULL;
    if (*p < '0' || *p > '9')
      return bnn_fail(BNN_E_ARG,
                      "arch '%s': expected fcnn, vgg3, vgg7 or dash-separated widths like "
                      "784-2048-2048-10",
                      s);
    unsigned long v = strtoul(p, &end, 10);
    if (v == 0 || v > (1u << 20))
      return bnn_fail(BNN_E_RANGE, "arch '%s': width %lu outside [1, 1048576]", s, v);
    if (nw == BET_MAX_LAYERS + 1)
      return bnn_fail(BNN_E_RANGE, "arch '%s': more than %d weight layers", s, BET_MAX_LAYERS);
    widths[nw++] = (uint32_t)v;
    if (*end == '\0') break;
    if (*end != '-')
      return bnn_fail(BNN_E_ARG, "arch '%s': unexpected '%c' (widths are separated by '-')", s,
                      *end);
    p = end + 1;
  }
  if (nw < 2)
    return bnn_fail(BNN_E_ARG, "arch '%s': need at least an input and an output width", s);
  if (widths[nw - 1] != n_classes)
    return bnn_fail(BNN_E_SHAPE, "arch '%s': output width %u but the data set has %u classes", s,
                    widths[nw - 1], n_classes);
  /* The input width stays in the name; bet_net_create checks it against the images. */
  for (uint32_t i = 1; i < nw; ++i) arch_add(out, BET_DENSE, widths[i], 0);
  return BNN_OK;
}

/* The declared input width of a "IN-...-OUT" arch (0 for named nets). */
uint32_t bet_arch_declared_input(const bet_arch *a) {
  if (a->name[0] >= '0' && a->name[0] <= '9') return (uint32_t)strtoul(a->name, NULL, 10);
  return 0;
}
