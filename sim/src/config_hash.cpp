// config_hash.cpp — the one config identity (trace headers, stats files, replay warnings):
// FNV-1a 64 over the compact resolved config JSON without the fields that do not change the
// simulation.
#include <cstdio>
#include <memory>

#include "rramsim/config.hpp"

namespace rramsim {

std::string config_hash(const SystemConfig& cfg) {
  SystemConfig c = cfg;
  c.source.clear();
  c.name.clear();
  c.seed = 0;
  c.overrides.clear();  // what was overridden is in the values: --set equals editing the file
  std::string text = config_to_json(c, 0);
  if (c.error_map) {
    // The map's path is where it lives, not what it says: hash its contents only.
    auto m = std::make_shared<ErrorMap>(*c.error_map);
    m->path.clear();
    c.error_map = m;
    text = config_to_json(c, 0);
  }
  uint64_t h = 1469598103934665603ull;  // FNV-1a 64 offset basis
  for (unsigned char x : text) h = (h ^ x) * 1099511628211ull;
  char b[32];
  std::snprintf(b, sizeof b, "fnv1a64:%016llx", static_cast<unsigned long long>(h));
  return b;
}

}  // namespace rramsim
