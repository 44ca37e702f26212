// fuzz_config.cpp — libFuzzer harness for the system-config loader (rramsim::load_system_string).
// Paths inside the config resolve against configs/systems, so the shipped device presets load.
#include <cstddef>
#include <cstdint>
#include <string>

#include "rramsim/config.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  std::string json(reinterpret_cast<const char *>(data), size);
  try {
    rramsim::SystemConfig cfg =
        rramsim::load_system_string(json, "fuzz.json", RRAMSIM_SOURCE_DIR "/configs/systems");
    // What every run does next: the resolved config goes into stats files and trace headers.
    (void)rramsim::config_hash(cfg);
  } catch (const rramsim::ConfigError &) {
    // The one exception a bad config may raise; anything else escapes and is a finding.
  }
  return 0;
}
