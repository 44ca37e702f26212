// recording.cpp — access/fault observers that write libtrace files, with provenance headers.
#include "rramsim/recording.hpp"

#include <string>

#include "rrtrace/trace.h"

namespace rramsim {

namespace {

rrt_fault_kind to_rrt(FaultKind k) {
  switch (k) {
    case FaultKind::Write:
      return RRT_FAULT_WRITE;
    case FaultKind::Read:
      return RRT_FAULT_READ;
    case FaultKind::StuckAt:
      return RRT_FAULT_STUCK_AT;
    default:
      return RRT_FAULT_ENDURANCE;
  }
}

// Provenance strings must outlive the writer's open call only (libtrace copies them).
struct Prov {
  std::string tool, hash, seed, model;
  rrt_provenance view(uint64_t clock_ps) const {
    rrt_provenance p{};
    p.tool = tool.c_str();
    p.config_hash = hash.c_str();
    p.seed = seed.c_str();
    p.model_id = model.c_str();
    p.clock_ps = clock_ps;
    return p;
  }
};

Prov make_prov(const SystemConfig& cfg, const RecordParams& p) {
  return Prov{p.tool, config_hash(cfg), std::to_string(cfg.seed), p.model_id};
}

}  // namespace

struct AccessRecorder::Impl {
  rrt_access_writer* w = nullptr;
  std::string path, error;
  uint64_t clock_ps = 1;
  bool relative = false, read_data = false;
  uint64_t vtime_ps = 0;  // relative: the latest arrival so far, in ps
  uint64_t records = 0;

  static void on_access(void* ud, const AccessEvent& e) {
    auto* im = static_cast<Impl*>(ud);
    if (!im->w || !im->error.empty()) return;  // after a failure, keep the first error only
    rrt_access a{};
    if (im->relative) {
      // Delays count from the previous arrival (DRAMSys 5's .rstl); an arrival earlier than
      // its predecessor's (decoupled initiators) is clamped to it.
      if (e.arrival_ps > im->vtime_ps) im->vtime_ps = e.arrival_ps;
      a.cycle = im->vtime_ps / im->clock_ps;
    } else {
      a.cycle = e.arrival_ps / im->clock_ps;
    }
    a.address = e.addr;
    a.length = e.len;
    a.cmd = e.cmd == Cmd::Write ? RRT_CMD_WRITE : RRT_CMD_READ;
    a.has_data = e.data && (e.cmd == Cmd::Write || im->read_data);
    a.data = a.has_data ? e.data : nullptr;
    if (rrt_access_writer_put(im->w, &a) != BNN_OK)
      im->error = bnn_errmsg();
    else
      ++im->records;
  }
};

AccessRecorder::AccessRecorder() : im_(std::make_unique<Impl>()) {}
AccessRecorder::~AccessRecorder() {
  abort();
}

void AccessRecorder::open(const std::string& path, const SystemConfig& cfg, const RecordParams& p) {
  abort();
  *im_ = Impl{};
  const rrt_format fmt = rrt_format_from_name(path.c_str());
  if (fmt == RRT_FORMAT_AUTO)
    throw Error(path +
                ": cannot tell the trace format from the name (use .stl, .rstl or .rrt, "
                "optionally + .gz)");
  if (p.clock_ps == 0) throw Error(path + ": the recording clock period must be at least 1 ps");
  if (cfg.org.capacity_bytes() == 0) throw Error(path + ": empty memory");
  Prov prov = make_prov(cfg, p);
  rrt_access_write_params wp = rrt_access_write_default_params();
  wp.prov = prov.view(p.clock_ps);
  if (p.gzip_level) wp.gzip_level = p.gzip_level;
  wp.timing = RRT_TIMING_ABSOLUTE;
  if (rrt_access_writer_open(path.c_str(), &wp, &im_->w) != BNN_OK) throw Error(bnn_errmsg());
  im_->path = path;
  im_->clock_ps = p.clock_ps;
  im_->relative = fmt == RRT_FORMAT_RSTL;
  im_->read_data = p.read_data;
  return;
}

AccessObserver AccessRecorder::observer() {
  AccessObserver o;
  o.fn = &Impl::on_access;
  o.ud = im_.get();
  return o;
}

void AccessRecorder::close() {
  if (!im_->w) return throw_if(im_->error);
  rrt_access_writer* w = im_->w;
  im_->w = nullptr;
  if (!im_->error.empty()) {
    rrt_access_writer_abort(w);
    return throw_if(im_->error);
  }
  if (rrt_access_writer_close(w) != BNN_OK) im_->error = bnn_errmsg();
  return throw_if(im_->error);
}

void AccessRecorder::abort() {
  if (im_ && im_->w) {
    rrt_access_writer_abort(im_->w);
    im_->w = nullptr;
  }
}

uint64_t AccessRecorder::records() const {
  return im_->records;
}

struct FaultRecorder::Impl {
  rrt_fault_writer* w = nullptr;
  std::string error;
  FaultLocatorFn locate = nullptr;
  void* locate_ud = nullptr;
  uint64_t records = 0;

  static void on_fault(void* ud, const FaultEvent& e) {
    auto* im = static_cast<Impl*>(ud);
    if (!im->w || !im->error.empty()) return;
    rrt_fault f{};
    f.time_ps = e.time_ps;
    f.address = e.addr;
    f.bit = e.bit;
    f.kind = to_rrt(e.kind);
    f.old_value = e.old_value;
    f.new_value = e.new_value;
    f.layer = -1;
    f.neuron = -1;
    f.weight = -1;
    f.access = e.access == FaultEvent::kNoAccess ? -1 : static_cast<int64_t>(e.access);
    if (im->locate) {
      int32_t layer = -1;
      int64_t neuron = -1, weight = -1;
      if (im->locate(im->locate_ud, e.addr, e.bit, &layer, &neuron, &weight)) {
        f.layer = layer;
        f.neuron = neuron;
        f.weight = weight;
      }
    }
    if (rrt_fault_writer_put(im->w, &f) != BNN_OK)
      im->error = bnn_errmsg();
    else
      ++im->records;
  }
};

FaultRecorder::FaultRecorder() : im_(std::make_unique<Impl>()) {}
FaultRecorder::~FaultRecorder() {
  abort();
}

void FaultRecorder::open(const std::string& path, const SystemConfig& cfg, const RecordParams& p) {
  abort();
  FaultLocatorFn fn = im_->locate;
  void* ud = im_->locate_ud;
  *im_ = Impl{};
  im_->locate = fn;
  im_->locate_ud = ud;
  Prov prov = make_prov(cfg, p);
  rrt_provenance pv = prov.view(0);
  if (rrt_fault_writer_open(path.c_str(), &pv, p.gzip_level, &im_->w) != BNN_OK)
    throw Error(bnn_errmsg());
  return;
}

void FaultRecorder::set_locator(FaultLocatorFn fn, void* ud) {
  im_->locate = fn;
  im_->locate_ud = ud;
}

FaultObserver FaultRecorder::observer() {
  FaultObserver o;
  o.fn = &Impl::on_fault;
  o.ud = im_.get();
  return o;
}

void FaultRecorder::close() {
  if (!im_->w) return throw_if(im_->error);
  rrt_fault_writer* w = im_->w;
  im_->w = nullptr;
  if (!im_->error.empty()) {
    rrt_fault_writer_abort(w);
    return throw_if(im_->error);
  }
  if (rrt_fault_writer_close(w) != BNN_OK) im_->error = bnn_errmsg();
  return throw_if(im_->error);
}

void FaultRecorder::abort() {
  if (im_ && im_->w) {
    rrt_fault_writer_abort(im_->w);
    im_->w = nullptr;
  }
}

uint64_t FaultRecorder::records() const {
  return im_->records;
}

}  // namespace rramsim
