// rramsim/config.hpp — system configuration: JSON → named defaults → validated once, before elaboration.
#pragma once

#include <cstdint>
#include <stdexcept>
#include <string>
#include <vector>

#include "rramsim/device.h"

namespace rramsim {

// Every config problem: one line naming the file, the JSON key path and the accepted range.
class ConfigError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

enum class Scheduler { Fcfs, ReadFirst };
const char* scheduler_name(Scheduler s);

// Address fields, and which address bits (LSB = bit 0) select each.
enum class AddrField { Column = 0, Channel, Bank, Crossbar, Row, Count };
const char* addr_field_name(AddrField f);

struct AddressMapping {
  // bits[f] lists the address bits of field f, least significant bit of the field first.
  std::vector<unsigned> bits[static_cast<int>(AddrField::Count)];
};

struct Organisation {
  // Named defaults: each field's default is the value written here.
  unsigned channels = 1;
  unsigned banks_per_channel = 8;
  unsigned crossbars_per_bank = 8;
  unsigned rows = 512;              // rows per crossbar
  unsigned columns = 512;           // data bits per crossbar row (a 2T2R row has 2× the devices)
  unsigned bus_width_bits = 64;     // data bus width per channel
  double bus_clock_mhz = 800.0;     // one beat per clock
  unsigned controller_latency_cycles = 4;  // front-end decode + queueing, per request
  unsigned queue_depth = 32;        // per-channel request queue
  Scheduler scheduler = Scheduler::Fcfs;
  unsigned write_high_watermark = 24;  // read-first: drain writes when this many are buffered
  unsigned write_low_watermark = 8;    // ... until this many remain
  double static_power_mw = 0.0;     // whole memory system, leakage + refresh-free standby
  AddressMapping mapping;           // default: column, channel, bank, crossbar, row from bit 0

  uint64_t row_bytes() const { return columns / 8; }
  uint64_t capacity_bytes() const {
    return uint64_t{channels} * banks_per_channel * crossbars_per_bank * rows * row_bytes();
  }
};

struct SystemConfig {
  std::string name;
  std::string source;  // file it was loaded from
  rr_device device{};
  int op_index = 0;    // selected operating point
  Organisation org;
  uint64_t seed = 1;

  const rr_op_point& op() const { return device.points[op_index]; }
};

// Loads a device preset (configs/devices/*.json). Throws ConfigError.
rr_device load_device_file(const std::string& path);
// Loads a system file (configs/systems/*.json): device and organisation by relative path or
// inline; selects op_point (or the first operating point). Throws ConfigError.
SystemConfig load_system_file(const std::string& path);
// Same from a JSON string; `name` stands for the file in messages, `base_dir` resolves paths.
SystemConfig load_system_string(const std::string& json, const std::string& name,
                                const std::string& base_dir);
rr_device load_device_string(const std::string& json, const std::string& name);

// Selects an operating point by name; throws ConfigError listing the available names.
void select_op_point(SystemConfig& cfg, const std::string& name);

// The resolved config as JSON text (every default filled in), for the top of stats files.
std::string config_to_json(const SystemConfig& cfg, int indent = 2);

}  // namespace rramsim
