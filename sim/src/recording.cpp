// recording.cpp — access/fault observers that write libtrace files, with provenance headers.
#include "rramsim/recording.hpp"

#include <memory>
#include <string>
#include <utility>

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

// The file behind a recorder (libtrace's access or fault writer) and what recording met.
struct Recorder::Impl {
  std::string error;  // the first error met while recording
  uint64_t records = 0;

  virtual ~Impl() = default;
  virtual bool is_open() const = 0;
  // Both forget the file: abort removes it; close renames it into place (BNN_OK) or removes it
  // (the error in bnn_errmsg()).
  virtual void abort_file() = 0;
  virtual bnn_status close_file() = 0;

  // An observer's call records only while a file is open and nothing failed (after a failure the
  // first error is kept).
  bool recording() const { return is_open() && error.empty(); }
  // The result of putting one record: counted, or its error kept.
  void put_result(bnn_status st) {
    if (st != BNN_OK)
      error = bnn_errmsg();
    else
      ++records;
  }
};

Recorder::Recorder(std::unique_ptr<Impl> im) : im_(std::move(im)) {}
Recorder::~Recorder() {
  abort();
}

void Recorder::close() {
  if (!im_->is_open()) return throw_if(im_->error);
  if (!im_->error.empty()) {
    im_->abort_file();
    return throw_if(im_->error);
  }
  if (im_->close_file() != BNN_OK) im_->error = bnn_errmsg();
  return throw_if(im_->error);
}

void Recorder::abort() {
  if (im_ && im_->is_open()) im_->abort_file();
}

uint64_t Recorder::records() const {
  return im_->records;
}

namespace {

// A recorder's file through one of libtrace's writers (access or fault: the same open / abort /
// close protocol over a different type).
template <class Writer, void (*Abort)(Writer*), bnn_status (*Close)(Writer*)>
struct WriterFile : Recorder::Impl {
  Writer* w = nullptr;

  bool is_open() const override { return w != nullptr; }
  void abort_file() override {
    Abort(w);
    w = nullptr;
  }
  bnn_status close_file() override {
    Writer* x = w;
    w = nullptr;
    return Close(x);
  }
};

struct AccessFile final
    : WriterFile<rrt_access_writer, rrt_access_writer_abort, rrt_access_writer_close> {
  uint64_t clock_ps = 1;
  bool relative = false, read_data = false;
  uint64_t vtime_ps = 0;  // relative: the latest arrival so far, in ps

  static void on_access(void* ud, const AccessEvent& e) {
    auto* im = static_cast<AccessFile*>(ud);
    if (!im->recording()) return;
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
    im->put_result(rrt_access_writer_put(im->w, &a));
  }
};

struct FaultFile final
    : WriterFile<rrt_fault_writer, rrt_fault_writer_abort, rrt_fault_writer_close> {
  FaultLocatorFn locate = nullptr;
  void* locate_ud = nullptr;

  static void on_fault(void* ud, const FaultEvent& e) {
    auto* im = static_cast<FaultFile*>(ud);
    if (!im->recording()) return;
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
    im->put_result(rrt_fault_writer_put(im->w, &f));
  }
};

}  // namespace

AccessRecorder::AccessRecorder() : Recorder(std::make_unique<AccessFile>()) {}

void AccessRecorder::open(const std::string& path, const SystemConfig& cfg, const RecordParams& p) {
  abort();
  AccessFile& im = static_cast<AccessFile&>(*im_);
  im = AccessFile{};
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
  if (rrt_access_writer_open(path.c_str(), &wp, &im.w) != BNN_OK) throw Error(bnn_errmsg());
  im.clock_ps = p.clock_ps;
  im.relative = fmt == RRT_FORMAT_RSTL;
  im.read_data = p.read_data;
}

AccessObserver AccessRecorder::observer() {
  AccessObserver o;
  o.fn = &AccessFile::on_access;
  o.ud = &static_cast<AccessFile&>(*im_);
  return o;
}

FaultRecorder::FaultRecorder() : Recorder(std::make_unique<FaultFile>()) {}

void FaultRecorder::open(const std::string& path, const SystemConfig& cfg, const RecordParams& p) {
  abort();
  FaultFile& im = static_cast<FaultFile&>(*im_);
  FaultFile fresh;
  fresh.locate = im.locate;  // a locator set before open stays
  fresh.locate_ud = im.locate_ud;
  im = fresh;
  Prov prov = make_prov(cfg, p);
  rrt_provenance pv = prov.view(0);
  if (rrt_fault_writer_open(path.c_str(), &pv, p.gzip_level, &im.w) != BNN_OK)
    throw Error(bnn_errmsg());
}

void FaultRecorder::set_locator(FaultLocatorFn fn, void* ud) {
  FaultFile& im = static_cast<FaultFile&>(*im_);
  im.locate = fn;
  im.locate_ud = ud;
}

FaultObserver FaultRecorder::observer() {
  FaultObserver o;
  o.fn = &FaultFile::on_fault;
  o.ud = &static_cast<FaultFile&>(*im_);
  return o;
}

}  // namespace rramsim
