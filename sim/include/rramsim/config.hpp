// rramsim/config.hpp — system configuration: JSON → named defaults → validated once, before
// elaboration.
#pragma once

#include <cstdint>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include <jansson.h>

#include "rramsim/device.h"
#include "rramsim/error.hpp"

namespace rramsim {

// Every config problem is an Error (ConfigError): one line naming the file, the JSON key path and
// the accepted range.

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
  unsigned rows = 512;           // rows per crossbar
  unsigned columns = 512;        // data bits per crossbar row (a 2T2R row has 2× the devices)
  unsigned bus_width_bits = 64;  // data bus width per channel
  double bus_clock_mhz = 800.0;  // one beat per clock
  unsigned controller_latency_cycles = 4;  // front-end decode + queueing, per request
  unsigned queue_depth = 32;               // per-channel request queue
  Scheduler scheduler = Scheduler::Fcfs;
  unsigned write_high_watermark = 24;  // read-first: drain writes when this many are buffered
  unsigned write_low_watermark = 8;    // ... until this many remain
  double static_power_mw = 0.0;        // whole memory system, leakage + refresh-free standby
  AddressMapping mapping;              // default: column, channel, bank, crossbar, row from bit 0

  uint64_t row_bytes() const { return columns / 8; }
  uint64_t capacity_bytes() const {
    return uint64_t{channels} * banks_per_channel * crossbars_per_bank * rows * row_bytes();
  }
};

// A defective cell of a measured error map, resolved to a byte address and a bit in it.
enum class DefectKind : uint8_t { StuckAt0 = 0, StuckAt1, FlipRate, Count };
struct Defect {
  uint64_t addr;
  uint8_t bit;  // 0 = least significant bit of the byte
  DefectKind kind;
  double rate;  // FlipRate: probability that a read returns the bit flipped
};
struct ErrorMap {
  std::string path;  // file it was loaded from
  std::vector<Defect> cells;
  uint64_t stuck0 = 0, stuck1 = 0, flip = 0;
  uint64_t bad_lines = 0, first_bad_line = 0;  // malformed lines skipped (skip_bad); 0 = none
};

struct SystemConfig {
  std::string name;
  std::string source;  // file it was loaded from
  rr_device device{};
  int op_index = 0;  // selected operating point
  Organisation org;
  uint64_t seed = 1;
  // Measured error map (system key "error_map" or `--error-map`); null = none. Shared, since
  // the controller keeps a copy of the config.
  std::shared_ptr<const ErrorMap> error_map;
  // Keys overridden by JSON path (--set, an experiment's "vary"), as "PATH=VALUE" (VALUE compact
  // JSON), in the order applied; recorded in the resolved config.
  std::vector<std::string> overrides;

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
// One override of a system key by its JSON path ("organisation.banks_per_channel",
// "device.operating_points.nominal.write_ber_01": list elements by index or by "name"): `value`
// is put into the system file's tree (a device or organisation file inlined first) and the tree
// read as the file would be, so an unknown key is an error naming the path and the nearest known
// key, an ill-typed or out-of-range value an error naming the path and what was expected.
struct Override {
  std::string path;
  std::string text;  // the value as compact JSON
  std::shared_ptr<json_t> value;
};
// "PATH=VALUE": VALUE as JSON if it parses (16, 0.5, true, "x"), else as a string. Throws Error.
Override parse_override(const std::string& arg);
Override make_override(const std::string& path, const json_t* value);
// A system file with overrides applied (none: load_system_file(path)). Throws Error.
SystemConfig load_system_file(const std::string& path, const std::vector<Override>& overrides);
rr_device load_device_string(const std::string& json, const std::string& name);

// Selects an operating point by name; throws ConfigError "<what>: '<name>' is not an operating
// point of device '<device>' (one of <names>)" (what: where the name came from).
void select_op_point(SystemConfig& cfg, const std::string& name,
                     const std::string& what = "--op-point");

// The resolved config as JSON text (every default filled in), for the top of stats files.
std::string config_to_json(const SystemConfig& cfg, int indent = 2);

// The one config identity used everywhere (trace headers, stats files, replay warnings):
// "fnv1a64:" + 16 hex digits of FNV-1a 64 over the compact resolved config JSON without the
// fields that do not change the simulation: "source" (where it was loaded from), "name" (a
// label) and "seed" (recorded separately). Same resolved config → same hash, whatever file.
std::string config_hash(const SystemConfig& cfg);

// Loads a measured error map CSV (traces/README.md "Measured error map") and resolves every
// cell against the organisation: address form as given; array form (bank, crossbar, row, column,
// bit) through the address mapping — `bank` counts banks over all channels (channel-major, as in
// the stats' bank list), `column` is the bit column 0..columns−1 of the crossbar row (byte
// column/8 of the row, bit column%8) and `bit` must be 0 (cells hold one bit). Throws
// ConfigError naming the file and line of the first bad cell (outside the memory, coordinates
// out of range, malformed). skip_bad: malformed lines (not cells outside the memory) are counted
// in bad_lines and skipped. Each file content is parsed once per process and organisation (a
// sweep's combinations share the map); a changed file is parsed again.
std::shared_ptr<const ErrorMap> load_error_map(const std::string& path, const Organisation& org,
                                               bool skip_bad = false);

}  // namespace rramsim
