// rramsim/errmap.hpp — the rules of a measured error map, written once and used by the storage
// (timed mode), fault replay and functional mode:
// - a cell listed twice: the last stuck-at line and the last flip-rate line win;
// - a stuck-at cell holds its value whatever is written;
// - a flip-rate cell flips a read of its bit with its rate, one draw per (cell, read index):
//   map_flip_draw (storage.hpp), keyed by the seed, the cell's RRAM address and the read index.
#pragma once

#include <cstdint>
#include <vector>

#include "rramsim/config.hpp"

namespace rramsim {

struct MapCell {
  uint64_t bit;   // RRAM byte address · 8 + bit
  bool flip;      // flip-rate cell (else stuck-at)
  uint8_t value;  // stuck-at value (0 or 1)
  double rate;    // flip-rate cells: probability that a read returns the bit flipped
};

// The map's cells, duplicates resolved as above, sorted by bit (a cell both stuck-at and
// flip-rate: the stuck-at entry first, as the storage stores the value before it flips the read).
std::vector<MapCell> resolve_error_map(const ErrorMap& map);

// Forces a stuck-at cell's value onto its bit of `byte`; returns the bit's value before.
inline unsigned force_stuck(const MapCell& c, uint8_t* byte) {
  const unsigned bit = static_cast<unsigned>(c.bit & 7), old = (*byte >> bit) & 1u;
  *byte = static_cast<uint8_t>((*byte & ~(1u << bit)) | (unsigned{c.value} << bit));
  return old;
}

}  // namespace rramsim
