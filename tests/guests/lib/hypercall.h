// SPDX-License-Identifier: Apache-2.0
// Hypercalls from a guest test (api/hv/hypercall.h): VMMCALL with RAX = the
// op, arguments in RDI, RSI, RDX, R10, R8 and the result in RAX. hv preserves
// every other register. Pointers are guest-physical addresses; a guest test
// runs identity-mapped, so a pointer's value is its address.
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "hv/console.h"
#include "hv/evtchn.h"
#include "hv/hypercall.h"
#include "hv/sched.h"
#include "hv/start_info.h"
#include "hv/vcpu.h"
#include "hv/version.h"

namespace guest {

inline int64_t Hypercall0(uint64_t op) {
  int64_t ret;
  asm volatile("vmmcall" : "=a"(ret) : "a"(op) : "memory");
  return ret;
}

inline int64_t Hypercall1(uint64_t op, uint64_t a1) {
  int64_t ret;
  asm volatile("vmmcall" : "=a"(ret) : "a"(op), "D"(a1) : "memory");
  return ret;
}

inline int64_t Hypercall2(uint64_t op, uint64_t a1, uint64_t a2) {
  int64_t ret;
  asm volatile("vmmcall" : "=a"(ret) : "a"(op), "D"(a1), "S"(a2) : "memory");
  return ret;
}

inline int64_t Hypercall3(uint64_t op, uint64_t a1, uint64_t a2, uint64_t a3) {
  int64_t ret;
  asm volatile("vmmcall" : "=a"(ret) : "a"(op), "D"(a1), "S"(a2), "d"(a3) : "memory");
  return ret;
}

inline int64_t Hypercall4(uint64_t op, uint64_t a1, uint64_t a2, uint64_t a3, uint64_t a4) {
  register uint64_t r10 asm("r10") = a4;
  int64_t ret;
  asm volatile("vmmcall" : "=a"(ret) : "a"(op), "D"(a1), "S"(a2), "d"(a3), "r"(r10) : "memory");
  return ret;
}

inline int64_t Hypercall5(uint64_t op, uint64_t a1, uint64_t a2, uint64_t a3, uint64_t a4,
                          uint64_t a5) {
  register uint64_t r10 asm("r10") = a4;
  register uint64_t r8 asm("r8") = a5;
  int64_t ret;
  asm volatile("vmmcall"
               : "=a"(ret)
               : "a"(op), "D"(a1), "S"(a2), "d"(a3), "r"(r10), "r"(r8)
               : "memory");
  return ret;
}

inline uint64_t Gpa(const void* p) { return reinterpret_cast<uint64_t>(p); }

// Typed calls.
inline int64_t ConsoleWriteGpa(uint64_t gpa, uint64_t len) {
  return Hypercall2(HV_CONSOLE_WRITE, gpa, len);
}
inline int64_t ConsoleWrite(const void* buf, size_t len) { return ConsoleWriteGpa(Gpa(buf), len); }
inline int64_t VersionGet(hv_version_info* out) { return Hypercall1(HV_VERSION_GET, Gpa(out)); }
inline int64_t VersionFamily(uint32_t family) { return Hypercall1(HV_VERSION_FAMILY, family); }
inline int64_t SchedYield() { return Hypercall0(HV_SCHED_YIELD); }
inline int64_t SchedShutdown(uint32_t reason) { return Hypercall1(HV_SCHED_SHUTDOWN, reason); }
inline int64_t SchedBlock() { return Hypercall0(HV_SCHED_BLOCK); }
inline int64_t SchedSetTimer(uint64_t timeout_ns) { return Hypercall1(HV_SCHED_SET_TIMER, timeout_ns); }
inline int64_t VcpuUp(uint32_t vcpu, uint64_t rip, uint64_t rsp, uint64_t arg) {
  return Hypercall4(HV_VCPU_UP, vcpu, rip, rsp, arg);
}
inline int64_t VcpuInfo(uint32_t vcpu, hv_vcpu_info* out) {
  return Hypercall2(HV_VCPU_INFO, vcpu, Gpa(out));
}
inline int64_t EvtchnInit(hv_event_page* page) { return Hypercall1(HV_EVTCHN_INIT, Gpa(page)); }
inline int64_t EvtchnSetUpcall(uint32_t vector) { return Hypercall1(HV_EVTCHN_SET_UPCALL, vector); }
inline int64_t EvtchnAllocUnbound(uint32_t remote) {
  return Hypercall1(HV_EVTCHN_ALLOC_UNBOUND, remote);
}
inline int64_t EvtchnBindInterdomain(uint32_t remote, uint32_t port) {
  return Hypercall2(HV_EVTCHN_BIND_INTERDOMAIN, remote, port);
}
inline int64_t EvtchnBindVirq(uint32_t virq, uint32_t vcpu) {
  return Hypercall2(HV_EVTCHN_BIND_VIRQ, virq, vcpu);
}
inline int64_t EvtchnSend(uint32_t port) { return Hypercall1(HV_EVTCHN_SEND, port); }
inline int64_t EvtchnClose(uint32_t port) { return Hypercall1(HV_EVTCHN_CLOSE, port); }
inline int64_t EvtchnStatus(uint32_t port, hv_evtchn_status* out) {
  return Hypercall2(HV_EVTCHN_STATUS, port, Gpa(out));
}
inline int64_t EvtchnUnmask(uint32_t port) { return Hypercall1(HV_EVTCHN_UNMASK, port); }

}  // namespace guest
