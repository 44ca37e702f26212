// config_reader.cpp — JSON text and files parsed through jansson with libbnn's allocator hook.
#include "config_reader.hpp"
#include "bnn/input.h"

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <mutex>

#include "bnn/status.h"

namespace rramsim {

// jansson allocates through libbnn's allocator hook, like all C heap memory of the project, and
// every failure is counted: jansson's lexer silently drops a character when its token buffer cannot
// grow (jansson 2.14), so a parse is only trusted if no allocation failed during it.
namespace {
thread_local unsigned long t_json_failures = 0;
void* json_alloc(size_t n) {
  void* p = bnn_malloc(n);
  if (!p) ++t_json_failures;
  return p;
}
void json_dealloc(void* p) {
  bnn_free(p);
}
}  // namespace

unsigned long json_alloc_failures() {
  return t_json_failures;
}

void use_bnn_for_json() {
  static std::once_flag once;
  std::call_once(once, [] { json_set_alloc_funcs(json_alloc, json_dealloc); });
}

JsonPtr parse_text(const std::string& text, const std::string& name) {
  use_bnn_for_json();
  json_error_t err;
  const unsigned long failures = t_json_failures;
  json_t* j = json_loadb(text.data(), text.size(), JSON_REJECT_DUPLICATES, &err);
  if (t_json_failures != failures) {
    json_decref(j);
    throw Error(name + ": out of memory while parsing the JSON");
  }
  if (!j)
    throw Error(name + ":" + std::to_string(err.line) + ":" + std::to_string(err.column) +
                ": JSON syntax error: " + err.text);
  return JsonPtr(j);
}

JsonPtr parse_file(const std::string& path) {
  // Regular files of at most 16 MiB (bnn/input.h): no FIFO can block, no device run forever.
  FILE* f = nullptr;
  if (bnn_input_fopen(path.c_str(), BNN_INPUT_TEXT_MAX, &f, nullptr) != BNN_OK)
    throw Error(bnn_errmsg());
  std::string text;
  char buf[65536];
  size_t n;
  while ((n = std::fread(buf, 1, sizeof buf, f)) > 0) text.append(buf, n);
  bool bad = std::ferror(f) != 0;
  std::fclose(f);
  if (bad) throw Error(path + ": read error");
  return parse_text(text, path);
}

}  // namespace rramsim
