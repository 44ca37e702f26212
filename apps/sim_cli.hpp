// sim_cli.hpp — options and setup shared by the commands that drive the SystemC memory directly
// (`rramsim sim`, `rramsim replay`): system, operating point, seed, error map, stats file,
// recorders; and the experiment point's options shared by `run` and `faults replay`.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "cli.h"

#include "rramsim/config.hpp"
#include "rramsim/recording.hpp"
#include "rramsim/stats.hpp"

namespace rrsimcli {

struct MemoryOptions {
  std::string system, op_point, error_map, stats_path, rec_acc, rec_flt;
  std::vector<std::string> sets;  // --set PATH=VALUE, in order
  uint64_t seed = 0;
  bool have_seed = false;
};

enum class Parsed { No, Yes, Error };

// The command's option table followed by the shared options (--system, --set, --op-point, --seed,
// --error-map, --stats, --record-accesses, --record-faults) and the end row, for
// cli_parse_options.
std::vector<cli_option> with_memory_options(std::vector<cli_option> own);

// Takes `opt` (as cli_parse_options hands it over) if it is one of the shared options. No: not one
// of them; Error: the usage error was printed (exit CLI_EXIT_USAGE).
Parsed memory_option(const char* cmd, const char* opt, const char* val, MemoryOptions* o);

// Loads the system file, selects the operating point, loads the error map against its
// organisation and applies the seed. On failure prints one line and returns false (exit 1).
bool load_memory_config(const char* cmd, const MemoryOptions& o, rramsim::SystemConfig* cfg);

// The experiment point's options that `run` and `faults replay` share: --limit (images),
// --weight-reuse, --threads, --rram-layers ('all' or a comma list of weight-layer indices 0..63).
// CLI_OPT_UNKNOWN for any other option.
cli_opt_result point_option(const char* cmd, const char* opt, const char* val, uint32_t* images,
                            uint32_t* weight_reuse, int* threads, uint64_t* rram_layer_mask);

// The output discipline (output.h) for the shared options: --system and --error-map are inputs,
// --stats and --record-* outputs. On a clash prints one line and returns false (exit 1).
bool claim_memory_files(const char* cmd, const MemoryOptions& o);

// Fails early (before a long run) when files cannot be created next to `path`.
bool probe_writable(const char* cmd, const std::string& path, const char* opt);

// --stats: writes the stats JSON (temp + rename) and says so; nothing without --stats. Returns the
// exit code (1 with one error line when the file cannot be written).
int write_stats(const char* cmd, const MemoryOptions& o, const rramsim::SystemConfig& cfg,
                const rramsim::Stats& stats, const rramsim::RunInfo& info);
// The access / fault recorders of --record-accesses / --record-faults, attached only when asked
// for; files appear complete at close() or not at all.
struct Recorders {
  rramsim::AccessRecorder acc;
  rramsim::FaultRecorder flt;
  rramsim::AccessObserver acc_obs;
  rramsim::FaultObserver flt_obs;
  bool open(const char* cmd, const MemoryOptions& o, const rramsim::SystemConfig& cfg,
            const rramsim::RecordParams& rp);
  bool close(const char* cmd, const MemoryOptions& o);
};

}  // namespace rrsimcli
