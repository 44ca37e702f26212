// platform.cpp — a small SystemC platform of "your own" with rramsim's RRAM memory in it: a CPU
// (loosely timed: b_transport under a quantum keeper, byte-enabled stores) and a DMA engine
// (approximately timed: nb_transport, several transactions in flight, a slow consumer that
// delays END_RESP) both bound to the memory's one target socket, which arbitrates. The memory
// sits at 0x8000'0000 and writes its stats when the simulation ends. See docs/embedding.md.
//
//   rram_platform SYSTEM.json [STATS.json]   the system file (e.g. share/rramsim/configs/...)
//   rram_platform --ns SYSTEM.json           1 ns resolution, a 1 GHz bus from a JSON string
//   rram_platform --bad                      a config that does not validate (SystemC error)
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

#include <systemc>
#include <tlm>
#include <tlm_utils/simple_initiator_socket.h>
#include <tlm_utils/tlm_quantumkeeper.h>

#include "rramsim/memory.hpp"

using namespace sc_core;
using namespace tlm;

namespace {

constexpr uint64_t kBase = 0x80000000;
constexpr unsigned kBytes = 4096;

uint8_t pattern(unsigned who, unsigned i) {
  return static_cast<uint8_t>((i * 37u + who * 101u) ^ (i >> 3));
}

// The CPU: stores 4 KiB in 64-B lines, patches every line's first word with a byte-enabled
// store, then loads it all back, all under a 1 us quantum (temporal decoupling).
struct Cpu : sc_module {
  tlm_utils::simple_initiator_socket<Cpu> socket;
  bool ok = false;
  SC_HAS_PROCESS(Cpu);
  explicit Cpu(sc_module_name n) : sc_module(n), socket("socket") { SC_THREAD(run); }

  void access(tlm_generic_payload& t, tlm_utils::tlm_quantumkeeper& qk, tlm_command cmd,
              uint64_t addr, uint8_t* data, unsigned len, uint8_t* be = nullptr,
              unsigned be_len = 0) {
    t.set_command(cmd);
    t.set_address(addr);
    t.set_data_ptr(data);
    t.set_data_length(len);
    t.set_streaming_width(len);
    t.set_byte_enable_ptr(be);
    t.set_byte_enable_length(be_len);
    t.set_dmi_allowed(false);
    t.set_response_status(TLM_INCOMPLETE_RESPONSE);
    sc_time d = qk.get_local_time();
    socket->b_transport(t, d);
    qk.set(d);
    if (qk.need_sync()) qk.sync();
    if (t.is_response_error()) SC_REPORT_ERROR("cpu", t.get_response_string().c_str());
  }

  void run() {
    tlm_utils::tlm_quantumkeeper::set_global_quantum(sc_time(1, SC_US));
    tlm_utils::tlm_quantumkeeper qk;
    qk.reset();
    tlm_generic_payload t;
    std::vector<uint8_t> want(kBytes), back(kBytes);
    for (unsigned i = 0; i < kBytes; ++i) want[i] = pattern(1, i);
    for (unsigned a = 0; a < kBytes; a += 64)
      access(t, qk, TLM_WRITE_COMMAND, kBase + a, want.data() + a, 64);
    // Byte-enabled stores: bytes 0 and 2 of each line's first word (a read-modify-write).
    uint8_t be[4] = {0xff, 0x00, 0xff, 0x00};
    for (unsigned a = 0; a < kBytes; a += 64) {
      uint8_t word[4] = {0xc0, 0xff, 0xee, 0x11};
      access(t, qk, TLM_WRITE_COMMAND, kBase + a, word, 4, be, 4);
      want[a] = 0xc0;
      want[a + 2] = 0xee;
    }
    for (unsigned a = 0; a < kBytes; a += 256)
      access(t, qk, TLM_READ_COMMAND, kBase + a, back.data() + a, 256);
    qk.sync();
    ok = back == want;
    std::printf("cpu: %u bytes written and read back%s at %s\n", kBytes, ok ? "" : " WRONG",
                sc_time_stamp().to_string().c_str());
  }
};

// The DMA engine: writes its 4 KiB region, then reads it back, up to 4 transactions in flight;
// its consumer takes 5 ns per response (END_RESP annotated 5 ns after BEGIN_RESP).
struct Dma : sc_module {
  tlm_utils::simple_initiator_socket<Dma> socket;
  bool ok = false;
  SC_HAS_PROCESS(Dma);
  explicit Dma(sc_module_name n) : sc_module(n), socket("socket") {
    socket.register_nb_transport_bw(this, &Dma::nb_transport_bw);
    SC_THREAD(run);
  }

  static constexpr unsigned kSlots = 4, kLine = 128;
  tlm_generic_payload txn[kSlots];
  uint8_t buf[kSlots][kLine];
  bool busy[kSlots] = {};
  sc_event end_req, resp;
  bool req_open = false;
  std::vector<uint8_t> data;
  unsigned errors = 0;

  tlm_sync_enum nb_transport_bw(tlm_generic_payload& t, tlm_phase& ph, sc_time& d) {
    if (ph == END_REQ) {
      req_open = false;
      end_req.notify(d);
      return TLM_ACCEPTED;
    }
    if (ph == BEGIN_RESP) {
      if (req_open) {  // BEGIN_RESP implies END_REQ
        req_open = false;
        end_req.notify(d);
      }
      const unsigned k = static_cast<unsigned>(&t - txn);
      const uint64_t off = t.get_address() - 0x1000 - kBase;
      if (t.is_response_error() ||
          (t.is_read() && std::memcmp(buf[k], data.data() + off, kLine) != 0))
        ++errors;
      busy[k] = false;
      resp.notify(d + sc_time(5, SC_NS));
      d += sc_time(5, SC_NS);  // the consumer is slow: END_RESP 5 ns later
      ph = END_RESP;
      return TLM_COMPLETED;
    }
    return TLM_ACCEPTED;  // ignorable phases
  }

  void run() {
    data.resize(kBytes);
    for (unsigned i = 0; i < kBytes; ++i) data[i] = pattern(2, i);
    for (tlm_command cmd : {TLM_WRITE_COMMAND, TLM_READ_COMMAND}) {
      for (unsigned a = 0; a < kBytes; a += kLine) {
        unsigned k = kSlots;
        while (k == kSlots) {
          for (k = 0; k < kSlots && busy[k]; ++k) {
          }
          if (k == kSlots) wait(resp);
        }
        busy[k] = true;
        if (cmd == TLM_WRITE_COMMAND) std::memcpy(buf[k], data.data() + a, kLine);
        tlm_generic_payload& t = txn[k];
        t.set_command(cmd);
        t.set_address(kBase + 0x1000 + a);
        t.set_data_ptr(buf[k]);
        t.set_data_length(kLine);
        t.set_streaming_width(kLine);
        t.set_byte_enable_ptr(nullptr);
        t.set_response_status(TLM_INCOMPLETE_RESPONSE);
        tlm_phase ph = BEGIN_REQ;
        sc_time d = SC_ZERO_TIME;
        req_open = true;
        tlm_sync_enum s = socket->nb_transport_fw(t, ph, d);
        if (s == TLM_UPDATED && ph == END_REQ) req_open = false, wait(d);
        if (req_open) wait(end_req);  // request exclusion: next BEGIN_REQ after END_REQ
      }
      for (bool any = true; any;) {
        any = false;
        for (bool b : busy) any |= b;
        if (any) wait(resp);
      }
    }
    ok = errors == 0;
    std::printf("dma: %u bytes written and read back%s at %s\n", kBytes, ok ? "" : " WRONG",
                sc_time_stamp().to_string().c_str());
  }
};

}  // namespace

int sc_main(int argc, char* argv[]) {
  std::string mode = argc > 1 ? argv[1] : "";
  rramsim::MemoryParams params;
  params.base_address = kBase;
  rramsim::MemoryConfig config = rramsim::MemoryConfig::file(mode);
  if (mode == "--ns" && argc > 2) {
    // The memory works at any resolution that divides its timing: here 1 ns, with a 1 GHz bus.
    sc_set_time_resolution(1, SC_NS);
    std::string dir = argv[2];
    dir = dir.substr(0, dir.find_last_of('/'));
    config = rramsim::MemoryConfig::json(R"({ "device": "../devices/hfo2_2t2r.json",
        "organisation": { "channels": 2, "banks_per_channel": 8, "crossbars_per_bank": 8,
          "rows": 512, "columns": 512, "bus_clock_mhz": 1000 } })",
                                         dir);
  } else if (mode == "--bad") {
    config = rramsim::MemoryConfig::json(R"({ "device": { "name": "d", "cell": "2T2R",
        "operating_points": [ { "name": "op", "e_set_pj": 2, "e_reset_pj": 1, "e_read_pj": 0.2,
          "e_periph_read_pj": 4, "e_periph_write_pj": 8, "t_read_ns": 10, "t_write_ns": 50 } ] },
        "organisation": { "queue_depth": 0 } })");
  } else if (argc < 2) {
    std::fprintf(stderr, "usage: rram_platform SYSTEM.json [STATS.json] | --ns SYSTEM.json\n");
    return 2;
  }
  if (argc > 2 && mode != "--ns") params.stats_path = argv[2];

  Cpu cpu("cpu");
  Dma dma("dma");
  rramsim::RramMemory rram("rram", config, params);
  cpu.socket.bind(rram.socket);  // both initiators on the one target socket
  dma.socket.bind(rram.socket);

  sc_start();
  sc_stop();  // end_of_simulation: the memory drains its write buffers and writes its stats
  const rramsim::Stats& s = rram.stats();
  std::printf("stats: %llu reads, %llu writes, simulated %s%s%s\n",
              static_cast<unsigned long long>(s.reads), static_cast<unsigned long long>(s.writes),
              sc_time_stamp().to_string().c_str(), params.stats_path.empty() ? "" : ", written to ",
              params.stats_path.c_str());
  return cpu.ok && dma.ok ? 0 : 1;
}
