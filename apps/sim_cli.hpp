// sim_cli.hpp — options and setup shared by the commands that drive the SystemC memory directly
// (`rramsim sim`, `rramsim replay`): system, operating point, seed, error map, stats file,
// recorders; and the experiment point's options shared by `run` and `faults replay`.
#pragma once

#include <cstdint>
#include <cstdio>
#include <functional>
#include <initializer_list>
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
  bool nb = false;     // --nb: nb_transport instead of b_transport
  bool quiet = false;  // --quiet (deprecated spelling --no-progress): no progress bar
};

// A command's own option handler: opt is "--name" as declared, val its value (NULL for a flag).
using OptionHandler = std::function<cli_opt_result(const char* opt, const char* val)>;

// Parses the command line (after the command name) of a command that drives the memory: its own
// options, `flags` and `valued` (those taking a value) by name, each handed to `own`, and the
// shared ones into *o: --system, --set, --op-point, --seed, --error-map, --stats,
// --record-accesses, --record-faults, --nb, --quiet (deprecated spelling --no-progress). As
// cli_parse_options: false after --help or a usage error, with *exit_code set.
bool parse_options(const char* cmd, int argc, char** argv, std::initializer_list<const char*> flags,
                   std::initializer_list<const char*> valued, const OptionHandler& own,
                   void (*usage)(FILE* f), MemoryOptions* o, int* exit_code);

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

// The run's description for the summary and the stats file: tool "rramsim <cmd>", the version,
// the transport path of --nb, the workload `traffic`, wall time and request count.
rramsim::RunInfo run_info(const char* cmd, const MemoryOptions& o, std::string traffic,
                          double wall_seconds, uint64_t requests);

// A count printed after the summary when it is not zero: "<n> <what>".
struct RunCount {
  uint64_t n;
  const char* what;
};

// Prints the stats summary, then each non-zero count of `notes`, then the requests the memory
// answered with an error status (`failed`), if any.
void print_summary(const rramsim::SystemConfig& cfg, const rramsim::Stats& stats,
                   const rramsim::RunInfo& info, uint64_t failed,
                   std::initializer_list<RunCount> notes = {});

// --stats: writes the stats JSON (temp + rename) and says so; nothing without --stats. Returns the
// exit code (1 with one error line when the file cannot be written).
int write_stats(const char* cmd, const MemoryOptions& o, const rramsim::SystemConfig& cfg,
                const rramsim::Stats& stats, const rramsim::RunInfo& info);
// The access / fault recorders of --record-accesses / --record-faults, attached only when asked
// for; files appear complete at close() or not at all. open() names the tool ("rramsim
// <version>") in the files' headers.
struct Recorders {
  rramsim::AccessRecorder acc;
  rramsim::FaultRecorder flt;
  rramsim::AccessObserver acc_obs;
  rramsim::FaultObserver flt_obs;
  bool open(const char* cmd, const MemoryOptions& o, const rramsim::SystemConfig& cfg,
            rramsim::RecordParams rp);
  bool close(const char* cmd, const MemoryOptions& o);
};

}  // namespace rrsimcli
