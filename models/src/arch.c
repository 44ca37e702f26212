/* arch.c — libbet's architecture names: parsing "fcnn", "vgg3", "vgg7" and "IN-H1-...-OUT" into a
 * bet_arch, and the names of the loss, flip-gradient and batch-norm-statistics enums. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bet_impl.h"
#include "bnn/names.h"

/* ---- enums ---------------------------------------------------------------------------------- */

BNN_NAME_TABLE(loss_names, BET_LOSS_COUNT, {[BET_LOSS_CE] = "ce", [BET_LOSS_MHL] = "mhl"});
BNN_NAME_TABLE(flip_grad_names, BET_FLIP_GRAD_COUNT,
               {[BET_FLIP_GRAD_SIGN] = "sign", [BET_FLIP_GRAD_STRAIGHT] = "straight"});
BNN_NAME_TABLE(bn_stats_names, BET_BN_STATS_COUNT,
               {[BET_BN_RUNNING] = "running", [BET_BN_TRAIN_SET] = "train-set"});

const char *bet_loss_str(bet_loss l) {
  return BNN_NAME_OF(loss_names, l, "?");
}
const char *bet_flip_grad_str(bet_flip_grad g) {
  return BNN_NAME_OF(flip_grad_names, g, "?");
}
const char *bet_reg_layers_str(bet_reg_layers r) {
  return r == BET_REG_HIDDEN ? "hidden" : r == BET_REG_ALL ? "all" : "?";
}
const char *bet_input_range_str(bet_input_range r) {
  return r == BET_INPUT_01 ? "01" : r == BET_INPUT_PM1 ? "pm1" : "?";
}
const char *bet_bn_stats_str(bet_bn_stats b) {
  return BNN_NAME_OF(bn_stats_names, b, "?");
}

/* ---- architecture --------------------------------------------------------------------------- */

static void arch_add(bet_arch *a, bet_layer_kind k, uint32_t n_out, int pool) {
  a->layers[a->n_layers].kind = k;
  a->layers[a->n_layers].n_out = n_out;
  a->layers[a->n_layers].pool = pool;
  a->n_layers++;
}

/* The named nets: their hidden layers, in order, up to the first empty entry; a dense output layer
 * with one neuron per class of the data set follows them (bet.h draws them). */
enum { NAMED_MAX_HIDDEN = 7 };
static const struct named_arch {
  const char *name;
  bet_layer_spec hidden[NAMED_MAX_HIDDEN];
} named_archs[] = {
    {"fcnn", {{BET_DENSE, 2048, 0}, {BET_DENSE, 2048, 0}}},
    {"vgg3", {{BET_CONV3X3, 64, 1}, {BET_CONV3X3, 64, 1}, {BET_DENSE, 2048, 0}}},
    {"vgg7",
     {{BET_CONV3X3, 128, 0},
      {BET_CONV3X3, 128, 1},
      {BET_CONV3X3, 256, 0},
      {BET_CONV3X3, 256, 1},
      {BET_CONV3X3, 512, 0},
      {BET_CONV3X3, 512, 1},
      {BET_DENSE, 1024, 0}}},
};
_Static_assert(NAMED_MAX_HIDDEN < BET_MAX_LAYERS,
               "a named net and its output layer fit a bet_arch");

bnn_status bet_arch_parse(const char *s, uint32_t n_classes, bet_arch *out) {
  if (!s || !out || n_classes < 2) return bnn_fail(BNN_E_ARG, "arch: need a name and ≥ 2 classes");
  memset(out, 0, sizeof *out);
  snprintf(out->name, sizeof out->name, "%s", s);
  for (size_t i = 0; i < sizeof named_archs / sizeof named_archs[0]; ++i) {
    const struct named_arch *n = &named_archs[i];
    if (strcmp(s, n->name)) continue;
    for (uint32_t l = 0; l < NAMED_MAX_HIDDEN && n->hidden[l].n_out; ++l)
      arch_add(out, n->hidden[l].kind, n->hidden[l].n_out, n->hidden[l].pool);
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
