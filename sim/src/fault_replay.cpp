// fault_replay.cpp — host-memory weight port that replays a recorded fault trace deterministically.
#include "rramsim/fault_replay.hpp"

#include <algorithm>
#include <cstring>

namespace rramsim {

std::string load_fault_trace(const std::string& path, const std::string& model_id,
                             std::vector<rrt_fault>* out) {
  rrt_fault_reader* r = nullptr;
  if (rrt_fault_reader_open(path.c_str(), 0, &r) != BNN_OK) return bnn_errmsg();
  if (rrt_fault_reader_check_model(r, model_id.c_str()) != BNN_OK) {
    std::string e = bnn_errmsg();
    rrt_fault_reader_close(r);
    return e;
  }
  out->clear();
  for (;;) {
    rrt_fault f;
    int got = 0;
    if (rrt_fault_reader_next(r, &f, &got) != BNN_OK) {
      std::string e = bnn_errmsg();
      rrt_fault_reader_close(r);
      return e;
    }
    if (!got) break;
    out->push_back(f);
  }
  rrt_fault_reader_close(r);
  return "";
}

namespace {

struct ReplayPort {
  bnn_port base;
  const Placement* pl;
  const uint8_t* clean;                 // the model's weight image (SRAM layers)
  std::vector<uint8_t> stored;          // RRAM layers as stored: image + persistent faults
  std::vector<const rrt_fault*> reads;  // read faults sorted by access index
  size_t cursor = 0;
  uint64_t index = 0;                   // next read index, counted as the bridge issues reads
};

bnn_status replay_read(bnn_port* bp, uint64_t addr, void* dst_v, size_t n) {
  ReplayPort* rp = reinterpret_cast<ReplayPort*>(bp);
  uint8_t* dst = static_cast<uint8_t*>(dst_v);
  // Same walk as the bridge's transfer(): layers in placement order, RRAM layers one read per
  // neuron-row segment.
  for (const LayerPlacement& l : rp->pl->layers) {
    const uint64_t lo = std::max<uint64_t>(addr, l.image_addr);
    const uint64_t hi = std::min<uint64_t>(addr + n, l.image_addr + l.bytes);
    if (lo >= hi) continue;
    uint8_t* p = dst + (lo - addr);
    if (!l.in_rram) {
      std::memcpy(p, rp->clean + lo, hi - lo);
      continue;
    }
    for (uint64_t off = lo - l.image_addr; off < hi - l.image_addr;) {
      const uint64_t len = std::min(l.row_bytes - off % l.row_bytes, hi - l.image_addr - off);
      std::memcpy(p, rp->stored.data() + l.image_addr + off, len);
      const uint64_t ra = l.rram_addr + off;
      while (rp->cursor < rp->reads.size() &&
             static_cast<uint64_t>(rp->reads[rp->cursor]->access) <= rp->index) {
        const rrt_fault* f = rp->reads[rp->cursor++];
        if (static_cast<uint64_t>(f->access) != rp->index) continue;
        if (f->address < ra || f->address >= ra + len) continue;  // not this read's bytes
        uint8_t& b = p[f->address - ra];
        b = static_cast<uint8_t>((b & ~(1u << f->bit)) | (unsigned{f->new_value} << f->bit));
      }
      ++rp->index;
      off += len;
      p += len;
    }
  }
  return BNN_OK;
}
bnn_status replay_write(bnn_port*, uint64_t, const void*, size_t) {
  return bnn_fail(BNN_E_ARG, "fault replay: the weight port is read-only");
}
void replay_destroy(bnn_port*) {}
const bnn_port_vtbl kReplayVtbl = {replay_read, replay_write, nullptr, replay_destroy};

}  // namespace

std::string replay_faults(const bnn_model* m, const Placement& pl,
                          const std::vector<rrt_fault>& faults, const std::vector<uint8_t>* keep,
                          const uint8_t* images, size_t n, const FaultReplayParams& p,
                          std::vector<uint8_t>* pred) {
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
      return "fault " + std::to_string(i + 1) + " at address " + std::to_string(f.address) +
             " lies outside the model's RRAM placement (replay with the recorded run's --system "
             "and --rram-layers)";
    if (f.kind == RRT_FAULT_READ) {
      if (f.access < 0) return "read fault " + std::to_string(i + 1) + " has no access index";
      rp.reads.push_back(&f);
    } else {
      uint8_t& b = rp.stored[ia];
      b = static_cast<uint8_t>((b & ~(1u << f.bit)) | (unsigned{f.new_value} << f.bit));
    }
  }
  std::stable_sort(rp.reads.begin(), rp.reads.end(),
                   [](const rrt_fault* a, const rrt_fault* b) { return a->access < b->access; });
  bnn_infer_params ip = bnn_infer_default_params();
  ip.threads = p.threads;
  ip.weight_reuse = p.weight_reuse ? p.weight_reuse : 1;
  bnn_engine* e = nullptr;
  if (bnn_engine_create(&e, m, &rp.base, &ip) != BNN_OK) return bnn_errmsg();
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
  return err;
}

}  // namespace rramsim
