// SPDX-License-Identifier: Apache-2.0
// x86 instructions and constants for guest tests.
#pragma once

#include <stdint.h>

namespace guest {

// Exception vectors.
inline constexpr uint8_t kVectorDE = 0;  // divide error
inline constexpr uint8_t kVectorDB = 1;  // debug
inline constexpr uint8_t kVectorNMI = 2;
inline constexpr uint8_t kVectorBP = 3;  // int3
inline constexpr uint8_t kVectorOF = 4;
inline constexpr uint8_t kVectorBR = 5;
inline constexpr uint8_t kVectorUD = 6;  // invalid opcode
inline constexpr uint8_t kVectorNM = 7;
inline constexpr uint8_t kVectorDF = 8;  // double fault
inline constexpr uint8_t kVectorTS = 10;
inline constexpr uint8_t kVectorNP = 11;
inline constexpr uint8_t kVectorSS = 12;
inline constexpr uint8_t kVectorGP = 13;  // general protection
inline constexpr uint8_t kVectorPF = 14;  // page fault
inline constexpr uint8_t kVectorMF = 16;
inline constexpr uint8_t kVectorAC = 17;
inline constexpr uint8_t kVectorMC = 18;
inline constexpr uint8_t kVectorXM = 19;
inline constexpr uint8_t kVectorVE = 20;
inline constexpr uint8_t kVectorCP = 21;

// MSRs.
inline constexpr uint32_t kMsrTsc = 0x10;
inline constexpr uint32_t kMsrApicBase = 0x1b;
inline constexpr uint32_t kMsrEfer = 0xc0000080;
inline constexpr uint32_t kMsrVmCr = 0xc0010114;
inline constexpr uint32_t kMsrVmHsavePa = 0xc0010117;
inline constexpr uint64_t kEferSce = 1ull << 0;
inline constexpr uint64_t kEferLme = 1ull << 8;
inline constexpr uint64_t kEferLma = 1ull << 10;
inline constexpr uint64_t kEferNxe = 1ull << 11;
inline constexpr uint64_t kEferSvme = 1ull << 12;

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

inline uint64_t Rdtsc() {
  uint32_t lo, hi;
  asm volatile("rdtsc" : "=a"(lo), "=d"(hi));
  return (uint64_t{hi} << 32) | lo;
}

// Raw MSR access: a #GP is an unexpected exception (Test result: ERROR).
// ProbeRdmsr/ProbeWrmsr (guest.h) return false instead.
inline uint64_t Rdmsr(uint32_t msr) {
  uint32_t lo, hi;
  asm volatile("rdmsr" : "=a"(lo), "=d"(hi) : "c"(msr));
  return (uint64_t{hi} << 32) | lo;
}

inline void Wrmsr(uint32_t msr, uint64_t value) {
  asm volatile("wrmsr"
               :
               : "c"(msr), "a"(static_cast<uint32_t>(value)),
                 "d"(static_cast<uint32_t>(value >> 32))
               : "memory");
}

inline uint64_t ReadCr0() {
  uint64_t v;
  asm volatile("mov %%cr0, %0" : "=r"(v));
  return v;
}
inline uint64_t ReadCr2() {
  uint64_t v;
  asm volatile("mov %%cr2, %0" : "=r"(v));
  return v;
}
inline uint64_t ReadCr3() {
  uint64_t v;
  asm volatile("mov %%cr3, %0" : "=r"(v));
  return v;
}
inline uint64_t ReadCr4() {
  uint64_t v;
  asm volatile("mov %%cr4, %0" : "=r"(v));
  return v;
}
inline uint64_t ReadFlags() {
  uint64_t v;
  asm volatile("pushfq; popq %0" : "=r"(v));
  return v;
}
inline uint16_t ReadCs() {
  uint16_t v;
  asm volatile("mov %%cs, %0" : "=r"(v));
  return v;
}

struct [[gnu::packed]] DescriptorPointer {
  uint16_t limit;
  uint64_t base;
};

inline void Lidt(const DescriptorPointer& p) { asm volatile("lidt %0" : : "m"(p) : "memory"); }
inline DescriptorPointer Sidt() {
  DescriptorPointer p;
  asm volatile("sidt %0" : "=m"(p));
  return p;
}

inline void Pause() { asm volatile("pause"); }
inline void Sti() { asm volatile("sti" ::: "memory"); }
inline void Cli() { asm volatile("cli" ::: "memory"); }
// "sti; hlt": an interrupt between the two cannot slip by (STI's shadow).
inline void SafeHalt() { asm volatile("sti; hlt" ::: "memory"); }

}  // namespace guest
