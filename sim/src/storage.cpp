// storage.cpp — sparse page storage; write/read/stuck-at/endurance errors; write-verify rounds.
#include "rramsim/storage.hpp"

#include "rramsim/errmap.hpp"

#include <algorithm>
#include <array>
#include <cstring>

#include "bnn/rng.h"

namespace rramsim {

const char* fault_kind_name(FaultKind k) {
  static const char* const names[] = {"write", "read", "stuck_at", "endurance"};
  static_assert(sizeof names / sizeof names[0] == static_cast<size_t>(FaultKind::Count),
                "fault kind name table");
  return static_cast<size_t>(k) < static_cast<size_t>(FaultKind::Count) ? names[static_cast<int>(k)]
                                                                        : "?";
}

namespace {
// RNG stream tags: each error process draws from its own family of streams.
enum : uint64_t {
  kTagStuck = 1,
  kTagWrite = 2,
  kTagRead = 3,
  kTagEndurance = 4,
  kTagVerify = 5,
  kTagMapFlip = 6
};

inline bnn_rng keyed_rng(uint64_t seed, uint64_t tag, uint64_t where, uint64_t count) {
  return bnn_rng_make(seed, bnn_rng_hash(where, tag, count));
}

inline unsigned popcount_bytes(const uint8_t* p, uint64_t n) {
  unsigned c = 0;
  uint64_t i = 0;
  for (; i + 8 <= n; i += 8) {
    uint64_t w;
    std::memcpy(&w, p + i, 8);
    c += static_cast<unsigned>(__builtin_popcountll(w));
  }
  for (; i < n; ++i) c += static_cast<unsigned>(__builtin_popcount(p[i]));
  return c;
}

inline uint64_t sat_add(uint64_t a, uint64_t b) {
  return a > UINT64_MAX - b ? UINT64_MAX : a + b;
}
}  // namespace

struct Storage::Page {
  uint8_t data[kPageBytes];
  uint32_t wcount[kPageBytes / kLineBytes];
  std::vector<StuckCell> stuck;  // sorted by bit
};

struct Storage::Leaf {
  std::array<std::unique_ptr<Page>, (1u << kLeafBits)> pages;
};

Storage::Storage(const SystemConfig& cfg, ErrorCounters& err)
    : capacity_(cfg.org.capacity_bytes()),
      seed_(cfg.seed),
      stuck_density_(cfg.device.stuck_density),
      stuck_one_(cfg.device.stuck_one_fraction),
      endurance_median_(cfg.device.endurance_median_writes),
      endurance_sigma_(cfg.device.endurance_sigma),
      verify_(cfg.device.verify),
      verify_max_(cfg.device.verify_max_iterations),
      err_(err) {
  uint64_t n_pages = (capacity_ + kPageBytes - 1) / kPageBytes;
  top_.resize((n_pages + (1u << kLeafBits) - 1) >> kLeafBits);
  set_op_point(cfg.op());
  if (cfg.error_map)
    for (const MapCell& c : resolve_error_map(*cfg.error_map))
      add_defect(Defect{
          c.bit >> 3, static_cast<uint8_t>(c.bit & 7),
          c.flip ? DefectKind::FlipRate : (c.value ? DefectKind::StuckAt1 : DefectKind::StuckAt0),
          c.rate});
}

void Storage::add_defect(const Defect& d) {
  const uint64_t page = d.addr / kPageBytes;
  const uint16_t b = static_cast<uint16_t>((d.addr % kPageBytes) * 8 + d.bit);
  ++n_defects_;
  if (d.kind == DefectKind::FlipRate) {
    std::vector<FlipCell>& v = map_flip_[page];
    auto it = std::lower_bound(v.begin(), v.end(), b,
                               [](const FlipCell& c, uint16_t x) { return c.bit < x; });
    if (it != v.end() && it->bit == b)
      it->rate = d.rate;  // listed twice: the last line wins
    else
      v.insert(it, FlipCell{b, d.rate});
    return;
  }
  const uint8_t value = d.kind == DefectKind::StuckAt1 ? 1 : 0;
  auto put = [&](std::vector<StuckCell>& v) {
    auto it = std::lower_bound(v.begin(), v.end(), b,
                               [](const StuckCell& c, uint16_t x) { return c.bit < x; });
    if (it != v.end() && it->bit == b)
      it->value = value;
    else
      v.insert(it, StuckCell{b, value});
  };
  put(map_stuck_[page]);
  if (Page* pg = find(page)) {  // already allocated: the cell takes its value now
    put(pg->stuck);
    if (value)
      pg->data[b >> 3] |= static_cast<uint8_t>(1u << (b & 7));
    else
      pg->data[b >> 3] &= static_cast<uint8_t>(~(1u << (b & 7)));
  }
}

Storage::~Storage() = default;

bool map_flip_draw(uint64_t seed, uint64_t addr, unsigned bit, uint64_t read_index, double rate) {
  bnn_rng r = keyed_rng(seed, kTagMapFlip, addr * 8 + bit, read_index);
  return bnn_rng_uniform(&r) < rate;
}

void Storage::set_op_point(const rr_op_point& op) {
  w01_ = op.write_ber_01;
  w10_ = op.write_ber_10;
  r01_ = op.read_ber_01;
  r10_ = op.read_ber_10;
}

Storage::Page* Storage::find(uint64_t page) const {
  const Leaf* l = top_[page >> kLeafBits].get();
  return l ? l->pages[page & ((1u << kLeafBits) - 1)].get() : nullptr;
}

void Storage::page_stuck_cells(uint64_t page, std::vector<StuckCell>& out) const {
  out.clear();
  if (stuck_density_ > 0.0) {
    bnn_rng r = keyed_rng(seed_, kTagStuck, page, 0);
    const uint64_t nbits = kPageBytes * 8;
    for (uint64_t i = bnn_rng_geometric(&r, stuck_density_); i < nbits;
         i = sat_add(i, sat_add(1, bnn_rng_geometric(&r, stuck_density_)))) {
      uint8_t v = bnn_rng_uniform(&r) < stuck_one_ ? 1 : 0;
      out.push_back(StuckCell{static_cast<uint16_t>(i), v});
    }
  }
  if (map_stuck_.empty()) return;
  auto m = map_stuck_.find(page);
  if (m == map_stuck_.end()) return;
  // Measured cells override the random draw at the same position (the map is the truth).
  for (const StuckCell& c : m->second) {
    auto it = std::lower_bound(out.begin(), out.end(), c.bit,
                               [](const StuckCell& s, uint16_t x) { return s.bit < x; });
    if (it != out.end() && it->bit == c.bit)
      it->value = c.value;
    else
      out.insert(it, c);
  }
}

Storage::Page* Storage::get(uint64_t page) {
  std::unique_ptr<Leaf>& l = top_[page >> kLeafBits];
  if (!l) l = std::make_unique<Leaf>();
  std::unique_ptr<Page>& p = l->pages[page & ((1u << kLeafBits) - 1)];
  if (!p) {
    p = std::make_unique<Page>();
    std::memset(p->data, 0, sizeof p->data);
    std::memset(p->wcount, 0, sizeof p->wcount);
    page_stuck_cells(page, p->stuck);
    for (const StuckCell& s : p->stuck)
      if (s.value) p->data[s.bit >> 3] |= static_cast<uint8_t>(1u << (s.bit & 7));
    ++n_pages_;
  }
  return p.get();
}

bool Storage::stuck(uint64_t addr, unsigned bit, uint8_t* value) const {
  uint64_t page = addr / kPageBytes;
  std::vector<StuckCell> tmp;
  const std::vector<StuckCell>* cells = &tmp;
  if (const Page* pg = find(page))
    cells = &pg->stuck;
  else
    page_stuck_cells(page, tmp);
  uint16_t b = static_cast<uint16_t>((addr % kPageBytes) * 8 + bit);
  auto it = std::lower_bound(cells->begin(), cells->end(), b,
                             [](const StuckCell& s, uint16_t x) { return s.bit < x; });
  if (it == cells->end() || it->bit != b) return false;
  if (value) *value = it->value;
  return true;
}

namespace {
inline int get_bit(const uint8_t* d, uint64_t b) {
  return (d[b >> 3] >> (b & 7)) & 1;
}
// Calls f(byte index, bit, intended value) for every bit where stored d differs from intended src,
// in byte then bit order (the order the keyed draws and the fault reports follow).
template <class F>
inline void for_each_differing_bit(const uint8_t* d, const uint8_t* src, uint64_t n, F f) {
  for (uint64_t i = 0; i < n; ++i) {
    uint8_t diff = static_cast<uint8_t>(d[i] ^ src[i]);
    while (diff) {
      unsigned k = static_cast<unsigned>(__builtin_ctz(diff));
      diff &= static_cast<uint8_t>(diff - 1);
      f(i, k, (src[i] >> k) & 1);
    }
  }
}
inline void set_bit(uint8_t* d, uint64_t b, int v) {
  if (v)
    d[b >> 3] |= static_cast<uint8_t>(1u << (b & 7));
  else
    d[b >> 3] &= static_cast<uint8_t>(~(1u << (b & 7)));
}
}  // namespace

void Storage::write_line(Page& pg, uint64_t page, uint64_t off, const uint8_t* src, uint64_t n,
                         uint64_t time_ps, BankCounters& bank, WriteOutcome& wo) {
  const uint64_t li = off / kLineBytes;
  const uint64_t page_base = page * kPageBytes;
  const uint64_t line_addr = page_base + li * kLineBytes;
  const uint64_t w = ++pg.wcount[li];
  const uint64_t bit0 = off * 8, nbits = n * 8;
  auto stuck_lb = [&](uint64_t b) {
    return std::lower_bound(pg.stuck.begin(), pg.stuck.end(), b,
                            [](const StuckCell& s, uint64_t x) { return s.bit < x; });
  };
  auto is_stuck = [&](uint64_t b) {
    auto it = stuck_lb(b);
    return it != pg.stuck.end() && it->bit == b;
  };

  // Wear: each written cell that survived w−1 writes dies at this one with the hazard h(w) and
  // sticks at the value it holds now (the write cannot move it any more).
  if (endurance_median_ > 0.0) {
    double h = rr_endurance_hazard(endurance_median_, endurance_sigma_, w);
    if (h > 0.0) {
      bnn_rng r = keyed_rng(seed_, kTagEndurance, line_addr, w);
      for (uint64_t i = bnn_rng_geometric(&r, h); i < nbits;
           i = sat_add(i, sat_add(1, bnn_rng_geometric(&r, h)))) {
        uint64_t b = bit0 + i;
        if (is_stuck(b)) continue;
        uint8_t v = static_cast<uint8_t>(get_bit(pg.data, b));
        pg.stuck.insert(stuck_lb(b), StuckCell{static_cast<uint16_t>(b), v});
        ++err_.endurance;
        report(FaultKind::Endurance, time_ps, page_base + (b >> 3), b & 7, v, v);
      }
    }
  }

  // First program: every bit of the segment is driven (SET for 1, RESET for 0).
  uint8_t* d = pg.data + off;
  std::memcpy(d, src, n);
  const unsigned ones = popcount_bytes(src, n);
  bank.bits_set += ones;
  bank.bits_reset += nbits - ones;
  err_.write_bits1 += ones;
  err_.write_bits0 += nbits - ones;
  if (w01_ > 0.0 || w10_ > 0.0) {
    bnn_rng r = keyed_rng(seed_, kTagWrite, line_addr, w);
    bnn_flip_bits(pg.data, bit0, nbits, bnn_flip_rates{w01_, w10_}, &r, nullptr, nullptr);
  }
  for (auto it = stuck_lb(bit0); it != pg.stuck.end() && it->bit < bit0 + nbits; ++it)
    set_bit(pg.data, it->bit, it->value);

  // Write-verify: read back, re-program the bits that differ; a re-programmed bit fails again
  // with the write BER of its intended value; stuck cells never recover.
  if (verify_ == RR_VERIFY_ITERATIVE) {
    unsigned rounds = 0;
    while (std::memcmp(d, src, n) != 0 && rounds < static_cast<unsigned>(verify_max_)) {
      ++rounds;
      bnn_rng r = keyed_rng(seed_, kTagVerify, line_addr, w * 256 + rounds);
      for_each_differing_bit(d, src, n, [&](uint64_t i, unsigned k, int want) {
        if (want)
          ++bank.bits_set;
        else
          ++bank.bits_reset;
        ++err_.verify_reprogrammed_bits;
        uint64_t b = bit0 + i * 8 + k;
        if (is_stuck(b)) return;
        if (bnn_rng_uniform(&r) >= (want ? w10_ : w01_)) set_bit(pg.data, b, want);
      });
    }
    err_.verify_rounds += rounds;
    if (rounds == static_cast<unsigned>(verify_max_) && std::memcmp(d, src, n) != 0)
      ++err_.verify_gave_up;
    if (rounds > wo.reprogram_rounds) wo.reprogram_rounds = rounds;
  }

  // Residual faults: what is stored now and was not intended.
  if (std::memcmp(d, src, n) != 0) {
    for_each_differing_bit(d, src, n, [&](uint64_t i, unsigned k, int want) {
      uint64_t b = bit0 + i * 8 + k;
      FaultKind kind;
      if (is_stuck(b)) {
        kind = FaultKind::StuckAt;
        ++err_.stuck_at;
      } else {
        kind = FaultKind::Write;
        if (want)
          ++err_.write_err10;
        else
          ++err_.write_err01;
      }
      report(kind, time_ps, page_base + off + i, k, want, !want);
    });
  }
}

WriteOutcome Storage::write(uint64_t addr, const uint8_t* src, uint64_t len, uint64_t time_ps,
                            BankCounters& bank) {
  WriteOutcome wo;
  while (len) {
    uint64_t page = addr / kPageBytes, off = addr % kPageBytes;
    uint64_t n = std::min(len, kLineBytes - off % kLineBytes);
    write_line(*get(page), page, off, src, n, time_ps, bank, wo);
    addr += n;
    src += n;
    len -= n;
  }
  if (verify_ == RR_VERIFY_ITERATIVE) wo.verify_reads = wo.reprogram_rounds + 1;
  return wo;
}

namespace {
struct ReadFlipCtx {
  ErrorCounters* err;
  const FaultObserver* obs;
  uint64_t base_addr;
  uint64_t time_ps;
  uint64_t read_index;
};
void on_read_flip(void* ud, uint64_t bit, int old_value) {
  auto* c = static_cast<ReadFlipCtx*>(ud);
  if (old_value)
    ++c->err->read_err10;
  else
    ++c->err->read_err01;
  if (c->obs->fn)
    c->obs->fn(c->obs->ud,
               FaultEvent{c->time_ps, c->base_addr + (bit >> 3), static_cast<uint8_t>(bit & 7),
                          FaultKind::Read, static_cast<uint8_t>(old_value),
                          static_cast<uint8_t>(!old_value), c->read_index});
}
}  // namespace

void Storage::read(uint64_t addr, uint8_t* dst, uint64_t len, uint64_t read_index, uint64_t time_ps,
                   BankCounters& bank) {
  const bool errors = r01_ > 0.0 || r10_ > 0.0;
  bank.bits_read += len * 8;
  std::vector<StuckCell> tmp;
  while (len) {
    uint64_t page = addr / kPageBytes, off = addr % kPageBytes;
    uint64_t n = std::min(len, kLineBytes - off % kLineBytes);
    if (const Page* pg = find(page)) {
      std::memcpy(dst, pg->data + off, n);
    } else {
      // Never written: erased (0) except the stuck-at-1 cells.
      std::memset(dst, 0, n);
      if (stuck_density_ > 0.0 || !map_stuck_.empty()) {
        page_stuck_cells(page, tmp);
        for (const StuckCell& s : tmp)
          if (s.bit >= off * 8 && s.bit < (off + n) * 8 && s.value)
            set_bit(dst, s.bit - off * 8, 1);
      }
    }
    const unsigned ones = popcount_bytes(dst, n);
    err_.read_bits1 += ones;
    err_.read_bits0 += n * 8 - ones;
    if (errors) {
      uint64_t line_addr = addr - off % kLineBytes;
      bnn_rng r = keyed_rng(seed_, kTagRead, line_addr, read_index);
      ReadFlipCtx ctx{&err_, &fault_, addr, time_ps, read_index};
      bnn_flip_bits(dst, 0, n * 8, bnn_flip_rates{r01_, r10_}, &r, on_read_flip, &ctx);
    }
    if (!map_flip_.empty()) read_defects(page, off, dst, n, read_index, time_ps);
    addr += n;
    dst += n;
    len -= n;
  }
}

void Storage::read_defects(uint64_t page, uint64_t off, uint8_t* dst, uint64_t n,
                           uint64_t read_index, uint64_t time_ps) {
  auto m = map_flip_.find(page);
  if (m == map_flip_.end()) return;
  const std::vector<FlipCell>& v = m->second;
  const uint64_t lo = off * 8, hi = (off + n) * 8;
  auto it = std::lower_bound(v.begin(), v.end(), lo,
                             [](const FlipCell& c, uint64_t x) { return c.bit < x; });
  for (; it != v.end() && it->bit < hi; ++it) {
    // One draw per (cell, read): the same seed and traffic flip the same reads.
    if (!map_flip_draw(seed_, page * kPageBytes + (it->bit >> 3), it->bit & 7u, read_index,
                       it->rate))
      continue;
    const uint64_t b = it->bit - lo;
    const int old_value = get_bit(dst, b);
    set_bit(dst, b, !old_value);
    if (old_value)
      ++err_.read_err10;
    else
      ++err_.read_err01;
    if (fault_.fn)
      fault_.fn(fault_.ud,
                FaultEvent{time_ps, page * kPageBytes + off + (b >> 3), static_cast<uint8_t>(b & 7),
                           FaultKind::Read, static_cast<uint8_t>(old_value),
                           static_cast<uint8_t>(!old_value), read_index});
  }
}

void Storage::debug_write(uint64_t addr, const uint8_t* src, uint64_t len) {
  while (len) {
    uint64_t page = addr / kPageBytes, off = addr % kPageBytes;
    uint64_t n = std::min(len, kPageBytes - off);
    Page* pg = get(page);
    std::memcpy(pg->data + off, src, n);
    for (const StuckCell& s : pg->stuck)
      if (s.bit >= off * 8 && s.bit < (off + n) * 8) set_bit(pg->data, s.bit, s.value);
    addr += n;
    src += n;
    len -= n;
  }
}

void Storage::debug_read(uint64_t addr, uint8_t* dst, uint64_t len) const {
  std::vector<StuckCell> tmp;
  while (len) {
    uint64_t page = addr / kPageBytes, off = addr % kPageBytes;
    uint64_t n = std::min(len, kPageBytes - off);
    if (const Page* pg = find(page)) {
      std::memcpy(dst, pg->data + off, n);
    } else {
      std::memset(dst, 0, n);
      page_stuck_cells(page, tmp);
      for (const StuckCell& s : tmp)
        if (s.bit >= off * 8 && s.bit < (off + n) * 8 && s.value) set_bit(dst, s.bit - off * 8, 1);
    }
    addr += n;
    dst += n;
    len -= n;
  }
}

}  // namespace rramsim
