// fault_replay.cpp — host-memory weight port that replays a recorded fault trace deterministically.
#include "rramsim/fault_replay.hpp"

#include <algorithm>
#include <cstring>

#include "rramsim/errmap.hpp"
#include "rramsim/storage.hpp"

namespace rramsim {

void load_fault_trace(const std::string& path, const std::string& model_id,
                      std::vector<rrt_fault>* out, bool skip_bad, FaultTraceInfo* info) {
  rrt_fault_reader* r = nullptr;
  if (rrt_fault_reader_open(path.c_str(), skip_bad ? 1 : 0, &r) != BNN_OK)
    throw Error(bnn_errmsg());
  if (rrt_fault_reader_check_model(r, model_id.c_str()) != BNN_OK) {
    std::string e = bnn_errmsg();
    rrt_fault_reader_close(r);
    throw Error(e);
  }
  out->clear();
  for (;;) {
    rrt_fault f;
    int got = 0;
    if (rrt_fault_reader_next(r, &f, &got) != BNN_OK) {
      std::string e = bnn_errmsg();
      rrt_fault_reader_close(r);
      throw Error(e);
    }
    if (!got) break;
    out->push_back(f);
  }
  if (info) {
    const rrt_provenance* pv = rrt_fault_reader_provenance(r);
    info->config_hash = pv->config_hash ? pv->config_hash : "";
    info->bad_lines = rrt_fault_reader_bad_lines(r);
    info->first_bad_line = rrt_fault_reader_first_bad_line(r);
  }
  rrt_fault_reader_close(r);
}

namespace {

struct ReplayPort {
  bnn_port base;
  const Placement* pl;
  const uint8_t* clean;                 // the model's weight image (SRAM layers)
  std::vector<uint8_t> stored;          // RRAM layers as stored: image + persistent faults
  std::vector<const rrt_fault*> reads;  // read faults sorted by access index
  size_t cursor = 0;
  uint64_t index = 0;  // next read index, counted as the bridge issues reads
  // Error map's flip-rate cells under RRAM weights, sorted by bit (resolve_error_map).
  std::vector<MapCell> flips;
  uint64_t seed = 1;
  std::vector<rrt_fault>* map_faults = nullptr;
};

bnn_status replay_read(bnn_port* bp, uint64_t addr, void* dst_v, size_t n) {
  ReplayPort* rp = reinterpret_cast<ReplayPort*>(bp);
  uint8_t* dst = static_cast<uint8_t*>(dst_v);
  // The bridge's walk: one read index per RRAM neuron-row segment.
  walk_image_range(*rp->pl, addr, n, [&](const ImageSegment& sg) {
    uint8_t* p = dst + (sg.image_addr - addr);
    if (!sg.layer->in_rram) {
      std::memcpy(p, rp->clean + sg.image_addr, sg.len);
      return true;
    }
    std::memcpy(p, rp->stored.data() + sg.image_addr, sg.len);
    const uint64_t ra = sg.rram_addr, len = sg.len;
    while (rp->cursor < rp->reads.size() &&
           static_cast<uint64_t>(rp->reads[rp->cursor]->access) <= rp->index) {
      const rrt_fault* f = rp->reads[rp->cursor++];
      if (static_cast<uint64_t>(f->access) != rp->index) continue;
      if (f->address < ra || f->address >= ra + len) continue;  // not this read's bytes
      uint8_t& b = p[f->address - ra];
      b = static_cast<uint8_t>((b & ~(1u << f->bit)) | (unsigned{f->new_value} << f->bit));
    }
    // The map's flips come after the operating point's read errors, as in Storage::read.
    auto it = std::lower_bound(rp->flips.begin(), rp->flips.end(), ra * 8,
                               [](const MapCell& c, uint64_t x) { return c.bit < x; });
    for (; it != rp->flips.end() && it->bit < (ra + len) * 8; ++it) {
      const uint64_t a = it->bit >> 3;
      const unsigned bit = static_cast<unsigned>(it->bit & 7);
      if (!map_flip_draw(rp->seed, a, bit, rp->index, it->rate)) continue;
      uint8_t& b = p[a - ra];
      const unsigned old = (b >> bit) & 1u;
      b = static_cast<uint8_t>(b ^ (1u << bit));
      if (rp->map_faults) {
        rrt_fault f{};
        f.address = a, f.bit = bit, f.kind = RRT_FAULT_READ;
        f.old_value = static_cast<uint8_t>(old), f.new_value = static_cast<uint8_t>(!old);
        f.access = static_cast<int64_t>(rp->index);
        locate_rram_bit(*rp->pl, a, bit, &f.layer, &f.neuron, &f.weight);
        rp->map_faults->push_back(f);
      }
    }
    ++rp->index;
    return true;
  });
  return BNN_OK;
}
bnn_status replay_write(bnn_port*, uint64_t, const void*, size_t) {
  return bnn_fail(BNN_E_ARG, "fault replay: the weight port is read-only");
}
void replay_destroy(bnn_port*) {}
const bnn_port_vtbl kReplayVtbl = {replay_read, replay_write, nullptr, replay_destroy};

}  // namespace

void replay_faults(const bnn_model* m, const Placement& pl, const std::vector<rrt_fault>& faults,
                   const std::vector<uint8_t>* keep, const uint8_t* images, size_t n,
                   const FaultReplayParams& p, std::vector<uint8_t>* pred) {
  ReplayPort rp{};
  rp.base.vt = &kReplayVtbl;
  rp.pl = &pl;
  uint64_t size = 0;
  rp.clean = bnn_model_weight_image(m, &size);
  rp.stored.assign(rp.clean, rp.clean + size);
  for (size_t i = 0; i < faults.size(); ++i) {
    if (keep && !(*keep)[i]) continue;
    const rrt_fault& f = faults[i];
    uint64_t ia = 0;
    int wl = -1;
    if (!rram_to_image(pl, f.address, &ia, &wl))
      throw Error(
          "fault " + std::to_string(i + 1) + " at address " + std::to_string(f.address) +
          " lies outside the model's RRAM placement (replay with the recorded run's --system "
          "and --rram-layers)");
    if (f.kind == RRT_FAULT_READ) {
      if (f.access < 0) throw Error("read fault " + std::to_string(i + 1) + " has no access index");
      rp.reads.push_back(&f);
    } else {
      uint8_t& b = rp.stored[ia];
      b = static_cast<uint8_t>((b & ~(1u << f.bit)) | (unsigned{f.new_value} << f.bit));
    }
  }
  if (p.error_map) {
    rp.seed = p.seed;
    rp.map_faults = p.map_faults;
    for (const MapCell& c : resolve_error_map(*p.error_map)) {
      const uint64_t addr = c.bit >> 3;
      const unsigned bit = static_cast<unsigned>(c.bit & 7);
      uint64_t ia = 0;
      int wl = -1;
      if (!rram_to_image(pl, addr, &ia, &wl)) continue;  // not under a weight: never read here
      if (c.flip) {
        rp.flips.push_back(c);
        continue;
      }
      const unsigned old = force_stuck(c, &rp.stored[ia]);
      if (old == c.value) continue;
      if (p.map_faults) {
        rrt_fault f{};
        f.address = addr, f.bit = static_cast<uint8_t>(bit), f.kind = RRT_FAULT_STUCK_AT;
        f.old_value = static_cast<uint8_t>(old), f.new_value = c.value;
        f.access = -1;
        locate_rram_bit(pl, addr, bit, &f.layer, &f.neuron, &f.weight);
        p.map_faults->push_back(f);
      }
    }
  }
  std::stable_sort(rp.reads.begin(), rp.reads.end(),
                   [](const rrt_fault* a, const rrt_fault* b) { return a->access < b->access; });
  bnn_infer_params ip = bnn_infer_default_params();
  ip.threads = p.threads;
  ip.weight_reuse = p.weight_reuse ? p.weight_reuse : 1;
  bnn_engine* e = nullptr;
  if (bnn_engine_create(&e, m, &rp.base, &ip) != BNN_OK) throw Error(bnn_errmsg());
  uint32_t c, h, w;
  bnn_model_input_shape(m, &c, &h, &w);
  const size_t img_bytes = size_t{c} * h * w;
  size_t chunk = std::max<size_t>(p.chunk_images, 1);
  chunk = (chunk + ip.weight_reuse - 1) / ip.weight_reuse * ip.weight_reuse;
  pred->assign(n, 0);
  bnn_status st = BNN_OK;
  for (size_t i0 = 0; st == BNN_OK && i0 < n; i0 += chunk)
    st = bnn_engine_run(e, images + i0 * img_bytes, std::min(chunk, n - i0), nullptr,
                        pred->data() + i0);
  std::string err = st == BNN_OK ? "" : bnn_errmsg();
  bnn_engine_destroy(e);
  throw_if(err);
}

}  // namespace rramsim
