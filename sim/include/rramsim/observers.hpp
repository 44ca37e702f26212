// rramsim/observers.hpp — access and fault events, and the callbacks that record them when enabled.
#pragma once

#include <cstdint>

namespace rramsim {

enum class Cmd : uint8_t { Read = 0, Write = 1 };

// Fault kinds: write = a programming error that persists until rewritten; read = a transient
// sensing error of one read; stuck_at = a written value that did not take because the cell is
// stuck; endurance = a cell wore out (it becomes stuck at its current value).
enum class FaultKind : uint8_t { Write = 0, Read, StuckAt, Endurance, Count };
const char* fault_kind_name(FaultKind k);

struct AccessEvent {
  uint64_t arrival_ps;  // when the request reached the memory
  uint64_t done_ps;     // when its response was ready
  uint64_t addr;
  uint32_t len;
  Cmd cmd;
  // Writes: the data the initiator asked to store (before any error); reads: the data returned
  // (errors included). len bytes, valid only during the callback.
  const uint8_t* data;
};

struct FaultEvent {
  uint64_t time_ps;
  uint64_t addr;  // byte address
  uint8_t bit;    // bit within the byte (0 = LSB)
  FaultKind kind;
  uint8_t old_value;  // intended (write, stuck_at) or stored (read, endurance) value
  uint8_t new_value;  // value now stored (write, stuck_at, endurance) or returned (read)
  // Read faults: index of the read request they hit (the run's reads counted from 0, in the
  // order they reached the memory); kNoAccess for the other kinds.
  uint64_t access;
  static constexpr uint64_t kNoAccess = UINT64_MAX;
};

// Plain function pointers plus user data: a C recorder (libtrace) can register directly, and
// the data path tests one pointer, so a disabled observer costs a predictable branch.
using AccessObserverFn = void (*)(void* ud, const AccessEvent& e);
using FaultObserverFn = void (*)(void* ud, const FaultEvent& e);

struct FaultObserver {
  FaultObserverFn fn = nullptr;
  void* ud = nullptr;
};
struct AccessObserver {
  AccessObserverFn fn = nullptr;
  void* ud = nullptr;
};

}  // namespace rramsim
