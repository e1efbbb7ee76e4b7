// SPDX-License-Identifier: Apache-2.0
// Thin wrappers over x86 instructions and the architectural register bits hv uses.
#pragma once

#include <stdint.h>

namespace hv::x86 {

struct CpuidResult {
  uint32_t eax, ebx, ecx, edx;
};

inline CpuidResult Cpuid(uint32_t leaf, uint32_t subleaf = 0) {
  CpuidResult r;
  asm volatile("cpuid"
               : "=a"(r.eax), "=b"(r.ebx), "=c"(r.ecx), "=d"(r.edx)
               : "a"(leaf), "c"(subleaf));
  return r;
}

inline uint64_t Rdmsr(uint32_t msr) {
  uint32_t lo, hi;
  asm volatile("rdmsr" : "=a"(lo), "=d"(hi) : "c"(msr));
  return (uint64_t{hi} << 32) | lo;
}

inline void Wrmsr(uint32_t msr, uint64_t v) {
  asm volatile("wrmsr" ::"c"(msr), "a"(static_cast<uint32_t>(v)),
               "d"(static_cast<uint32_t>(v >> 32))
               : "memory");
}

inline uint64_t Rdtsc() {
  uint32_t lo, hi;
  asm volatile("rdtsc" : "=a"(lo), "=d"(hi));
  return (uint64_t{hi} << 32) | lo;
}

inline void Outb(uint16_t port, uint8_t v) { asm volatile("outb %0, %1" ::"a"(v), "Nd"(port)); }
inline void Outw(uint16_t port, uint16_t v) { asm volatile("outw %0, %1" ::"a"(v), "Nd"(port)); }
inline void Outl(uint16_t port, uint32_t v) { asm volatile("outl %0, %1" ::"a"(v), "Nd"(port)); }
inline uint8_t Inb(uint16_t port) {
  uint8_t v;
  asm volatile("inb %1, %0" : "=a"(v) : "Nd"(port));
  return v;
}

#define HV_X86_CR_ACCESSORS(n)                    \
  inline uint64_t ReadCr##n() {                   \
    uint64_t v;                                   \
    asm volatile("mov %%cr" #n ", %0" : "=r"(v)); \
    return v;                                     \
  }                                               \
  inline void WriteCr##n(uint64_t v) { asm volatile("mov %0, %%cr" #n ::"r"(v) : "memory"); }
HV_X86_CR_ACCESSORS(0)
HV_X86_CR_ACCESSORS(2)
HV_X86_CR_ACCESSORS(3)
HV_X86_CR_ACCESSORS(4)
#undef HV_X86_CR_ACCESSORS

inline uint64_t ReadRflags() {
  uint64_t v;
  asm volatile("pushfq; popq %0" : "=r"(v));
  return v;
}

inline void Pause() { asm volatile("pause" ::: "memory"); }
inline void Cli() { asm volatile("cli" ::: "memory"); }
inline void Sti() { asm volatile("sti" ::: "memory"); }
// SVM's global interrupt flag: while clear, interrupts, NMIs and SMIs wait.
inline void Clgi() { asm volatile("clgi" ::: "memory"); }
inline void Stgi() { asm volatile("stgi" ::: "memory"); }
// STI's one-instruction shadow makes "sti; hlt" wake-safe: no interrupt slips between.
inline void SafeHalt() { asm volatile("sti; hlt" ::: "memory"); }
inline void Halt() { asm volatile("hlt" ::: "memory"); }
inline void Invlpg(uint64_t va) { asm volatile("invlpg (%0)" ::"r"(va) : "memory"); }

[[noreturn]] inline void HaltForever() {
  for (;;) asm volatile("cli; hlt");
}

// Control register, EFER and RFLAGS bits.
inline constexpr uint64_t kCr0Wp = 1u << 16;
inline constexpr uint64_t kCr4Pae = 1u << 5;
inline constexpr uint64_t kCr4Pge = 1u << 7;
inline constexpr uint64_t kCr4Osfxsr = 1u << 9;
inline constexpr uint64_t kCr4Osxmmexcpt = 1u << 10;
inline constexpr uint64_t kCr4Smep = 1u << 20;
inline constexpr uint64_t kCr4Smap = 1u << 21;
inline constexpr uint64_t kRflagsIf = 1u << 9;
inline constexpr uint64_t kRflagsAc = 1u << 18;

// MSRs.
inline constexpr uint32_t kMsrApicBase = 0x1b;
inline constexpr uint32_t kMsrTscDeadline = 0x6e0;
inline constexpr uint32_t kMsrEfer = 0xc0000080;
inline constexpr uint32_t kMsrFsBase = 0xc0000100;
inline constexpr uint32_t kMsrGsBase = 0xc0000101;
inline constexpr uint32_t kMsrKernelGsBase = 0xc0000102;
inline constexpr uint32_t kMsrTscAux = 0xc0000103;
inline constexpr uint64_t kEferNxe = 1u << 11;

// CPUID feature bits hv cares about at boot.
struct CpuFeatures {
  bool x2apic = false;         // 1.ECX[21]
  bool tsc_deadline = false;   // 1.ECX[24]
  bool smep = false;           // 7.0.EBX[7]
  bool smap = false;           // 7.0.EBX[20]
  bool page1g = false;         // 8000_0001.EDX[26]
  bool svm = false;            // 8000_0001.ECX[2]
  bool invariant_tsc = false;  // 8000_0007.EDX[8]
  char vendor[13] = {};
  char brand[49] = {};
};

CpuFeatures DetectFeatures();

}  // namespace hv::x86
