// SPDX-License-Identifier: Apache-2.0
// A ticket spinlock: fair, FIFO among CPUs. It does not touch the interrupt
// flag; code that also takes a lock from an interrupt handler must disable
// interrupts around it (IrqSpinGuard in hv/arch/x86/irq.h does both).
#pragma once

#include <atomic>
#include <stdint.h>

namespace hv {

class SpinLock {
 public:
  void Lock() {
    const uint32_t ticket = next_.fetch_add(1, std::memory_order_relaxed);
    while (serving_.load(std::memory_order_acquire) != ticket) {
#if defined(__x86_64__)
      asm volatile("pause");
#endif
    }
  }
  void Unlock() { serving_.fetch_add(1, std::memory_order_release); }
  // Only for a panic: the CPU that held the lock will never release it.
  void ForceUnlock() { serving_.store(next_.load(std::memory_order_relaxed), std::memory_order_release); }
  bool IsLocked() const {
    return next_.load(std::memory_order_relaxed) != serving_.load(std::memory_order_relaxed);
  }

 private:
  std::atomic<uint32_t> next_{0};
  std::atomic<uint32_t> serving_{0};
};

class SpinGuard {
 public:
  explicit SpinGuard(SpinLock& lock) : lock_(lock) { lock_.Lock(); }
  ~SpinGuard() { lock_.Unlock(); }
  SpinGuard(const SpinGuard&) = delete;
  SpinGuard& operator=(const SpinGuard&) = delete;

 private:
  SpinLock& lock_;
};

}  // namespace hv
