/* bnn/port.h — the memory port: the only way the engine touches weight memory. */
#ifndef BNN_PORT_H
#define BNN_PORT_H

#include <stdint.h>
#include <stddef.h>

#include "bnn/rng.h"
#include "bnn/status.h"

#ifdef __cplusplus
extern "C" {
#endif

/* A port presents the model's weight image (see bnn_model_weight_image) as a byte-addressed
 * memory starting at address 0. Implementations:
 *   - host port:  host memory, zero-copy (map), error-free;
 *   - error port: host memory with a device error model (persistent write flips, transient read
 *                 flips, sampled O(#flips) from the counter-based RNG);
 *   - the SystemC bridge in sim/ (each read becomes a TLM transaction).
 * With zero error rates all of them give bit-identical predictions. */
typedef struct bnn_port bnn_port;

typedef struct bnn_port_vtbl {
  /* Copies n bytes at addr into dst. */
  bnn_status (*read)(bnn_port *p, uint64_t addr, void *dst, size_t n);
  /* Stores n bytes at addr (programming). */
  bnn_status (*write)(bnn_port *p, uint64_t addr, const void *src, size_t n);
  /* Optional zero-copy access: a pointer to n stable bytes at addr, or NULL when the port cannot
   * (then the engine reads). A port whose reads have side effects (errors, timing) returns NULL. */
  const void *(*map)(bnn_port *p, uint64_t addr, size_t n);
  /* Frees the port. */
  void (*destroy)(bnn_port *p);
} bnn_port_vtbl;

struct bnn_port {
  const bnn_port_vtbl *vt;
};

static inline bnn_status bnn_port_read(bnn_port *p, uint64_t addr, void *dst, size_t n) {
  return p->vt->read(p, addr, dst, n);
}
static inline bnn_status bnn_port_write(bnn_port *p, uint64_t addr, const void *src, size_t n) {
  return p->vt->write(p, addr, src, n);
}
static inline const void *bnn_port_map(bnn_port *p, uint64_t addr, size_t n) {
  return p->vt->map ? p->vt->map(p, addr, n) : NULL;
}
void bnn_port_destroy(bnn_port *p); /* NULL-safe */

#ifdef __cplusplus
}
#endif
#endif /* BNN_PORT_H */
