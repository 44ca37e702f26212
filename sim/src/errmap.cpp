// errmap.cpp — measured error maps (libtrace CSV) resolved to byte addresses for the storage.
#include <sys/stat.h>

#include <algorithm>
#include <cstdio>
#include <map>
#include <mutex>
#include <string>

#include "rramsim/config.hpp"
#include "rramsim/errmap.hpp"
#include "rrtrace/trace.h"

namespace rramsim {

namespace {

// Scatters the value of each address field into the address bits the mapping assigns it.
uint64_t compose_address(const Organisation& org, const uint64_t value[]) {
  uint64_t a = 0;
  for (int f = 0; f < static_cast<int>(AddrField::Count); ++f) {
    const std::vector<unsigned>& bits = org.mapping.bits[f];
    for (size_t i = 0; i < bits.size(); ++i)
      if ((value[f] >> i) & 1) a |= uint64_t{1} << bits[i];
  }
  return a;
}

struct ReaderCloser {
  rrt_errmap_reader* r;
  ~ReaderCloser() { rrt_errmap_reader_close(r); }
};

std::shared_ptr<const ErrorMap> read_error_map(const std::string& path, const Organisation& org,
                                               bool skip_bad);

// What a resolved map depends on besides the file's bytes: the path as given (the map records
// it), skip_bad and the organisation fields the cells are checked and resolved against.
std::string cache_key(const std::string& path, const Organisation& org, bool skip_bad) {
  std::string k = path;
  for (unsigned v : {skip_bad ? 1u : 0u, org.channels, org.banks_per_channel,
                     org.crossbars_per_bank, org.rows, org.columns})
    k += '\0' + std::to_string(v);
  for (const std::vector<unsigned>& field : org.mapping.bits) {
    k += '\0';
    for (unsigned b : field) k += std::to_string(b) + ',';
  }
  return k;
}

// The bytes of a regular file (as stored: a .gz map compressed), or false when it is something
// else or cannot be read (the reader then reports why).
bool file_bytes(const std::string& path, std::string* out) {
  struct stat st;
  if (stat(path.c_str(), &st) != 0 || !S_ISREG(st.st_mode)) return false;
  std::FILE* f = std::fopen(path.c_str(), "rb");
  if (!f) return false;
  out->resize(static_cast<size_t>(st.st_size));
  const size_t got = out->empty() ? 0 : std::fread(&(*out)[0], 1, out->size(), f);
  const bool ok = got == out->size() && std::fgetc(f) == EOF && !std::ferror(f);  // not grown
  std::fclose(f);
  return ok;
}

}  // namespace

// A sweep resolves the same map once per combination of its "vary" axes (when its points are
// checked and again when each runs): a map is parsed and resolved once per process for each
// organisation and shared (it is immutable). A hit needs the file's bytes to be the ones parsed
// (compared in full: a rewrite within one timestamp tick is still seen), so only the read is
// repeated. A map that failed is not kept: the next call parses the file again and throws the
// same error.
std::shared_ptr<const ErrorMap> load_error_map(const std::string& path, const Organisation& org,
                                               bool skip_bad) {
  struct Entry {
    std::string bytes;
    std::shared_ptr<const ErrorMap> map;
  };
  static std::mutex mu;
  static std::map<std::string, Entry> cache;
  std::string bytes;
  if (!file_bytes(path, &bytes)) return read_error_map(path, org, skip_bad);
  const std::string key = cache_key(path, org, skip_bad);
  std::lock_guard<std::mutex> lock(mu);
  auto it = cache.find(key);
  if (it != cache.end() && it->second.bytes == bytes) return it->second.map;
  std::shared_ptr<const ErrorMap> map = read_error_map(path, org, skip_bad);
  cache[key] = Entry{std::move(bytes), map};
  return map;
}

namespace {

std::shared_ptr<const ErrorMap> read_error_map(const std::string& path, const Organisation& org,
                                               bool skip_bad) {
  rrt_errmap_reader* r = nullptr;
  if (rrt_errmap_reader_open(path.c_str(), skip_bad ? 1 : 0, &r) != BNN_OK)
    throw ConfigError(bnn_errmsg());
  ReaderCloser closer{r};
  auto map = std::make_shared<ErrorMap>();
  map->path = path;
  const uint64_t cap = org.capacity_bytes();
  const uint64_t n_banks = uint64_t{org.channels} * org.banks_per_channel;
  for (;;) {
    rrt_cell c;
    int got = 0;
    if (rrt_errmap_reader_next(r, &c, &got) != BNN_OK) throw ConfigError(bnn_errmsg());
    if (!got) {
      map->bad_lines = rrt_errmap_reader_bad_lines(r);
      map->first_bad_line = rrt_errmap_reader_first_bad_line(r);
      break;
    }
    auto bad = [&](const std::string& msg) {
      throw ConfigError(path + ":" + std::to_string(rrt_errmap_reader_line(r)) + ": " + msg);
    };
    Defect d{};
    if (c.loc == RRT_LOC_ADDRESS) {
      if (c.address >= cap)
        bad("address 0x" +
            [&] {
              char b[24];
              std::snprintf(b, sizeof b, "%llx", static_cast<unsigned long long>(c.address));
              return std::string(b);
            }() +
            " is outside the memory (capacity " + std::to_string(cap) + " bytes)");
      d.addr = c.address;
      d.bit = static_cast<uint8_t>(c.bit);
    } else {
      if (c.bank >= n_banks)
        bad("bank " + std::to_string(c.bank) + " is outside [0, " + std::to_string(n_banks - 1) +
            "] (channels × banks_per_channel)");
      if (c.crossbar >= org.crossbars_per_bank)
        bad("crossbar " + std::to_string(c.crossbar) + " is outside [0, " +
            std::to_string(org.crossbars_per_bank - 1) + "]");
      if (c.row >= org.rows)
        bad("row " + std::to_string(c.row) + " is outside [0, " + std::to_string(org.rows - 1) +
            "]");
      if (c.column >= org.columns)
        bad("column " + std::to_string(c.column) + " is outside [0, " +
            std::to_string(org.columns - 1) + "] (bit columns of a crossbar row)");
      if (c.bit != 0) bad("bit must be 0 in the array form (a cell holds one bit)");
      uint64_t v[static_cast<int>(AddrField::Count)] = {};
      v[static_cast<int>(AddrField::Column)] = c.column / 8;
      v[static_cast<int>(AddrField::Channel)] = c.bank / org.banks_per_channel;
      v[static_cast<int>(AddrField::Bank)] = c.bank % org.banks_per_channel;
      v[static_cast<int>(AddrField::Crossbar)] = c.crossbar;
      v[static_cast<int>(AddrField::Row)] = c.row;
      d.addr = compose_address(org, v);
      d.bit = static_cast<uint8_t>(c.column % 8);
    }
    switch (c.kind) {
      case RRT_CELL_STUCK_AT_0:
        d.kind = DefectKind::StuckAt0;
        ++map->stuck0;
        break;
      case RRT_CELL_STUCK_AT_1:
        d.kind = DefectKind::StuckAt1;
        ++map->stuck1;
        break;
      default:
        d.kind = DefectKind::FlipRate;
        d.rate = c.rate;
        ++map->flip;
        break;
    }
    map->cells.push_back(d);
  }
  return map;
}

}  // namespace

}  // namespace rramsim

namespace rramsim {

std::vector<MapCell> resolve_error_map(const ErrorMap& map) {
  std::vector<MapCell> v;
  v.reserve(map.cells.size());
  for (const Defect& d : map.cells) {
    const bool flip = d.kind == DefectKind::FlipRate;
    v.push_back(MapCell{d.addr * 8 + d.bit, flip,
                        static_cast<uint8_t>(d.kind == DefectKind::StuckAt1 ? 1 : 0),
                        flip ? d.rate : 0.0});
  }
  // Stable: equal cells keep file order, so the last of each run is the last line.
  std::stable_sort(v.begin(), v.end(), [](const MapCell& a, const MapCell& b) {
    return a.bit != b.bit ? a.bit < b.bit : (!a.flip && b.flip);
  });
  std::vector<MapCell> out;
  out.reserve(v.size());
  for (const MapCell& c : v) {
    if (!out.empty() && out.back().bit == c.bit && out.back().flip == c.flip)
      out.back() = c;
    else
      out.push_back(c);
  }
  return out;
}

}  // namespace rramsim
