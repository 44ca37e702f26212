// workload.cpp — the BNN engine as a SystemC initiator: placement, programming, inference.
#include "rramsim/workload.hpp"

#include <algorithm>
#include <chrono>
#include <cstring>
#include <memory>
#include <sstream>

#include <systemc>
#include <tlm>
#include <tlm_utils/simple_initiator_socket.h>

#include "rramsim/arbiter.hpp"
#include "rramsim/memory.hpp"
#include "rramsim/traffic.hpp"

namespace rramsim {

using namespace sc_core;
using namespace tlm;

Placement place_model(const bnn_model* m, const std::string& model_name, const SystemConfig& cfg,
                      const PlacementParams& p) {
  Placement pl;
  const uint64_t align = p.align ? p.align : cfg.org.row_bytes();
  if (align & (align - 1))
    throw ConfigError(model_name + ": placement alignment " + std::to_string(align) +
                      " is not a power of two");
  uint64_t next = p.base;
  for (uint32_t i = 0; i < bnn_model_n_layers(m); ++i) {
    bnn_layer_info li;
    bnn_model_layer(m, i, &li);
    if (li.weight_layer_index < 0) continue;
    LayerPlacement lp;
    lp.weight_layer = li.weight_layer_index;
    lp.image_addr = li.weight_addr;
    lp.bytes = li.weight_bytes;
    lp.row_bytes = li.row_bytes;
    lp.rows = li.out_c;
    lp.fan_in = li.fan_in;
    lp.in_rram = lp.weight_layer < 64 && ((p.rram_layer_mask >> lp.weight_layer) & 1);
    if (lp.in_rram) {
      next = (next + align - 1) & ~(align - 1);
      lp.rram_addr = next;
      next += lp.bytes;
      pl.rram_bytes = next;
    } else {
      pl.sram_bytes += lp.bytes;
    }
    pl.layers.push_back(lp);
  }
  // A layer list (anything but "all") naming a layer the model lacks is a typo, not a request to
  // keep every layer in SRAM.
  const size_t n_weight = pl.layers.size();
  if (p.rram_layer_mask != ~uint64_t{0} && n_weight < 64 && (p.rram_layer_mask >> n_weight) != 0) {
    uint32_t bad = static_cast<uint32_t>(n_weight);
    while (!((p.rram_layer_mask >> bad) & 1)) ++bad;
    throw ConfigError(model_name + ": RRAM layer " + std::to_string(bad) +
                      " does not exist: the model has weight layers 0.." +
                      std::to_string(n_weight ? n_weight - 1 : 0));
  }
  const uint64_t cap = cfg.org.capacity_bytes();
  if (pl.rram_bytes > cap) {
    std::ostringstream os;
    os << model_name << ": the model's RRAM-resident weights need " << pl.rram_bytes
       << " bytes (from address " << p.base << "), but system '" << cfg.name << "' (" << cfg.source
       << ") has a capacity of " << cap << " bytes";
    throw ConfigError(os.str());
  }
  return pl;
}

std::string placement_to_json(const Placement& pl) {
  std::ostringstream os;
  os << "{\"rram_bytes\": " << pl.rram_bytes << ", \"sram_bytes\": " << pl.sram_bytes
     << ", \"layers\": [";
  for (size_t i = 0; i < pl.layers.size(); ++i) {
    const LayerPlacement& l = pl.layers[i];
    os << (i ? ", " : "") << "{\"weight_layer\": " << l.weight_layer << ", \"memory\": \""
       << (l.in_rram ? "rram" : "sram") << "\", \"rram_addr\": " << (l.in_rram ? l.rram_addr : 0)
       << ", \"bytes\": " << l.bytes << ", \"rows\": " << l.rows
       << ", \"row_bytes\": " << l.row_bytes << "}";
  }
  os << "]}";
  return os.str();
}

bool rram_to_image(const Placement& pl, uint64_t addr, uint64_t* image_addr, int* weight_layer) {
  for (const LayerPlacement& l : pl.layers) {
    if (!l.in_rram || addr < l.rram_addr || addr >= l.rram_addr + l.bytes) continue;
    *image_addr = l.image_addr + (addr - l.rram_addr);
    *weight_layer = l.weight_layer;
    return true;
  }
  return false;
}

bool locate_rram_bit(const Placement& pl, uint64_t addr, unsigned bit, int32_t* layer,
                     int64_t* neuron, int64_t* weight) {
  *layer = -1, *neuron = -1, *weight = -1;
  for (const LayerPlacement& l : pl.layers) {
    if (!l.in_rram || addr < l.rram_addr || addr >= l.rram_addr + l.bytes) continue;
    const uint64_t off = addr - l.rram_addr;
    const uint64_t in_row = (off % l.row_bytes) * 8 + bit;
    *layer = l.weight_layer;
    *neuron = static_cast<int64_t>(off / l.row_bytes);
    *weight = in_row < l.fan_in ? static_cast<int64_t>(*neuron * l.fan_in + in_row) : -1;
    return true;
  }
  return false;
}

namespace {

class BnnInitiator;

// The bnn_port the engine sees: a C vtable whose calls become TLM transactions of the
// initiator. The struct starts with bnn_port so the engine's pointer is this object.
struct BridgePort {
  bnn_port base;
  BnnInitiator* owner;
};

class BnnInitiator : public sc_module {
 public:
  tlm_utils::simple_initiator_socket<BnnInitiator> socket;

  BnnInitiator(sc_module_name name, RramMemory& mem, const bnn_model* m, const uint8_t* images,
               size_t n, const WorkloadParams& wp, WorkloadResult& out)
      : sc_module(name),
        socket("socket"),
        mem_(mem),
        m_(m),
        images_(images),
        n_(n),
        wp_(wp),
        out_(out) {
    port_.base.vt = &kVtbl;
    port_.owner = this;
    image_ = bnn_model_weight_image(m, &image_size_);
    SC_HAS_PROCESS(BnnInitiator);
    SC_THREAD(run);
    // The engine runs on this coroutine's stack; it keeps no large arrays there.
    set_stack_size(wp.stack_bytes);
  }

  // Moves [addr, addr + n) of the weight image between the caller and its memory: SRAM layers
  // by copy, RRAM layers as one transaction per neuron row, all issued at the current time
  // (a pipelined fetch unit: the controller's queues, banks and buses order them), then waits
  // until the last one completes.
  bnn_status transfer(tlm_command cmd, uint64_t addr, uint8_t* buf, uint64_t n) {
    uint64_t longest = 0;
    bnn_status st = BNN_OK;
    walk_image_range(out_.placement, addr, n, [&](const ImageSegment& sg) {
      uint8_t* p = buf + (sg.image_addr - addr);
      if (!sg.layer->in_rram) {
        if (cmd == TLM_READ_COMMAND) {
          std::memcpy(p, image_ + sg.image_addr, sg.len);
          out_.sram_bytes_read += sg.len;
        }  // programming SRAM is free and error-free: the model's own image is the SRAM
        return true;
      }
      tlm_generic_payload& t = trans_;
      t.set_command(cmd);
      t.set_address(sg.rram_addr);
      t.set_data_ptr(p);
      t.set_data_length(static_cast<unsigned>(sg.len));
      t.set_streaming_width(static_cast<unsigned>(sg.len));
      t.set_byte_enable_ptr(nullptr);
      t.set_dmi_allowed(false);
      t.set_response_status(TLM_INCOMPLETE_RESPONSE);
      sc_time delay = SC_ZERO_TIME;
      socket->b_transport(t, delay);
      if (t.is_response_error()) {
        st = bnn_fail(
            BNN_E_IO, "RRAM %s of %llu bytes at 0x%llx failed: %s",
            cmd == TLM_READ_COMMAND ? "read" : "write", static_cast<unsigned long long>(sg.len),
            static_cast<unsigned long long>(sg.rram_addr), t.get_response_string().c_str());
        return false;
      }
      longest = std::max(longest, to_ps(delay));
      return true;
    });
    if (st != BNN_OK) return st;
    if (longest) wait(from_ps(longest));
    return BNN_OK;
  }

 private:
  static bnn_status port_read(bnn_port* p, uint64_t addr, void* dst, size_t n) {
    BnnInitiator* self = reinterpret_cast<BridgePort*>(p)->owner;
    ++self->out_.weight_fetches;
    return self->transfer(TLM_READ_COMMAND, addr, static_cast<uint8_t*>(dst), n);
  }
  static bnn_status port_write(bnn_port* p, uint64_t addr, const void* src, size_t n) {
    BnnInitiator* self = reinterpret_cast<BridgePort*>(p)->owner;
    // TLM payloads carry a non-const pointer; a write does not modify the data.
    return self->transfer(TLM_WRITE_COMMAND, addr,
                          const_cast<uint8_t*>(static_cast<const uint8_t*>(src)), n);
  }
  static void port_destroy(bnn_port* p) { (void)p; }  // owned by the initiator
  static constexpr bnn_port_vtbl kVtbl = {port_read, port_write, nullptr, port_destroy};

  void run() {
    // Programming phase: the whole weight image is written through the port (RRAM layers
    // through the controller: write errors, write-verify, energy, time, wear).
    bnn_status st = bnn_port_write(&port_.base, 0, image_, static_cast<size_t>(image_size_));
    if (st != BNN_OK) {
      error = bnn_errmsg();
      return;
    }
    out_.program_end_ps = to_ps(sc_time_stamp());
    out_.programming = mem_.stats();
    out_.infer_start_ps = out_.program_end_ps;

    // Inference phase: the engine fetches each weight layer once per block of weight_reuse
    // images, from this thread, through the bridge port.
    bnn_infer_params ip = bnn_infer_default_params();
    ip.threads = wp_.threads;
    ip.kernel = wp_.kernel;
    ip.weight_reuse = wp_.weight_reuse;
    bnn_engine* e = nullptr;
    st = bnn_engine_create(&e, m_, &port_.base, &ip);
    uint32_t c, h, w;
    bnn_model_input_shape(m_, &c, &h, &w);
    const size_t img_bytes = size_t{c} * h * w;
    size_t chunk = std::max<size_t>(wp_.chunk_images, 1);
    chunk = (chunk + wp_.weight_reuse - 1) / wp_.weight_reuse * wp_.weight_reuse;
    out_.pred.assign(n_, 0);
    for (size_t i0 = 0; st == BNN_OK && i0 < n_; i0 += chunk) {
      const size_t nb = std::min(chunk, n_ - i0);
      st = bnn_engine_run(e, images_ + i0 * img_bytes, nb, nullptr, out_.pred.data() + i0);
      if (st == BNN_OK && wp_.progress) wp_.progress(i0 + nb);
    }
    if (st != BNN_OK) error = bnn_errmsg();
    bnn_engine_destroy(e);
    out_.infer_end_ps = to_ps(sc_time_stamp());
  }

 public:
  std::string error;  // the engine's or the memory's failure, thrown once sc_start returns

 private:
  RramMemory& mem_;
  const bnn_model* m_;
  const uint8_t* images_;
  size_t n_;
  WorkloadParams wp_;
  WorkloadResult& out_;
  BridgePort port_{};
  const uint8_t* image_ = nullptr;
  uint64_t image_size_ = 0;
  tlm_generic_payload trans_;
};

constexpr bnn_port_vtbl BnnInitiator::kVtbl;

}  // namespace

WorkloadResult run_bnn_workload(const SystemConfig& cfg, const bnn_model* m,
                                const std::string& model_name, const uint8_t* images, size_t n,
                                const WorkloadParams& wp_in) {
  quiet_systemc();
  WorkloadResult out;
  out.placement = place_model(m, model_name, cfg, wp_in.placement);
  WorkloadParams wp = wp_in;
  if (wp.weight_reuse == 0) wp.weight_reuse = 1;
  RramMemory mem("rram", cfg);
  if (wp.access_observer.fn) mem.set_access_observer(wp.access_observer);
  if (wp.fault_observer.fn) mem.set_fault_observer(wp.fault_observer);
  BnnInitiator init("bnn", mem, m, images, n, wp, out);
  Arbiter arb("arbiter");
  init.socket.bind(arb.targets);  // initiator → arbiter → memory (controller → banks)
  arb.memory.bind(mem.socket);
  out.wall_seconds = run_to_completion();
  mem.finish();
  out.total = mem.stats();
  if (!init.error.empty()) throw Error(model_name + ": " + init.error);
  return out;
}

}  // namespace rramsim
