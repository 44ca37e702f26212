// point_energy.cpp — functional mode's analytic energy: what the timed system would count for one
// fetch of every RRAM layer and one programming pass (bits, row segments as the controller splits
// them), times the operating point's per-operation energies.
#include "rramsim/controller.hpp"
#include "rramsim/point.hpp"

namespace rramsim {

AnalyticEnergy analytic_energy(const SystemConfig& cfg, const bnn_model* m, const Placement& pl) {
  const rr_op_point& op = cfg.op();
  AddressDecoder dec(cfg.org);
  const uint8_t* image = bnn_model_weight_image(m, nullptr);
  AnalyticEnergy e;
  for (const LayerPlacement& l : pl.layers) {
    if (!l.in_rram) continue;
    // Row segments exactly as the controller splits each per-neuron transaction.
    uint64_t segments = 0;
    for (uint64_t o = 0; o < l.rows; ++o)
      dec.for_each_chunk(l.rram_addr + o * l.row_bytes, l.row_bytes,
                         [&](uint64_t, uint64_t) { ++segments; });
    uint64_t ones = 0;
    for (uint64_t b = 0; b < l.bytes; ++b)
      ones += static_cast<uint64_t>(__builtin_popcount(image[l.image_addr + b]));
    const uint64_t bits = l.bytes * 8;
    e.read_per_fetch_pj += bits * op.e_read_pj + segments * op.e_periph_read_pj;
    e.program_pj +=
        ones * op.e_set_pj + (bits - ones) * op.e_reset_pj + segments * op.e_periph_write_pj;
    if (op.e_io_pj > 0) {  // array cost model: the bank I/O wires, as the timed stats count them
      e.read_per_fetch_pj += bits * op.e_io_pj;
      e.program_pj += bits * op.e_io_pj;
    }
  }
  return e;
}

}  // namespace rramsim
