// rramsim/config_experiment.hpp — an experiment file (`rramsim sweep`, configs/README.md
// "Experiments"): the grid of systems × operating points × models × seeds and the settings every
// point shares, read with the same reader as system files (unknown keys are errors naming the
// file and key). Paths are resolved against the experiment file's directory.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "rramsim/config.hpp"
#include "rramsim/error.hpp"

namespace rramsim {

struct Experiment {
  std::string path, name, mode = "functional", data = "fashion-mnist";
  std::vector<std::string> systems, op_points, models;
  std::vector<uint64_t> seeds{1};
  uint32_t images = 0, weight_reuse = 1;
  uint64_t rram_layer_mask = ~uint64_t{0};
  int threads = 1;
  bool all_op_points = false;  // "op_points": "all"
  std::string error_map;       // measured error map for every system ("" = each system's own)
  // Axes over system keys by JSON path: "vary" (each path its own axis, Cartesian product) and
  // "vary_zip" (paths whose lists are walked together: one axis). values[v] holds one override
  // per path of the axis. The paths are checked when the systems are loaded (rramsim sweep).
  struct Axis {
    std::vector<std::string> paths;
    std::vector<std::vector<Override>> values;
  };
  std::vector<Axis> axes;
};

// Reads and checks an experiment file; throws Error ("<file>: <key>: <what was expected>", or
// "<file>:<line>:<column>: <what>" for bad JSON).
Experiment load_experiment(const std::string& path);

}  // namespace rramsim
