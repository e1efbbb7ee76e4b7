// SPDX-License-Identifier: Apache-2.0
// Per-CPU software timers over each CPU's one hardware one-shot timer.
// Set() arms a timer on the calling CPU; Cancel() works from any CPU.
#pragma once

#include <stdint.h>

namespace hv {

struct Timer {
  uint64_t deadline_ns = 0;
  void (*fn)(Timer*) = nullptr;  // runs in interrupt context, on the timer's CPU
  void* data = nullptr;
  Timer* next = nullptr;
  uint32_t cpu = 0;  // the queue it is on, while armed
  bool armed = false;
};

namespace timer {

inline constexpr uint32_t kMaxCpus = 64;

// Arms t on the calling CPU at deadline_ns (NowNs() time); re-arming moves it.
void Set(Timer* t, uint64_t deadline_ns);
void Cancel(Timer* t);
// From the hardware timer interrupt: runs every expired timer, re-arms.
void OnInterrupt();

}  // namespace timer
}  // namespace hv
