// SPDX-License-Identifier: Apache-2.0
// Decoding the guest instruction that touched emulated device memory (a
// nested page fault on an MMIO address): the MOV forms that drivers' readl/
// writel compile to, in 64-bit mode. Anything else is refused, never guessed:
// hv then crashes the guest rather than emulate it wrongly. (TCG's SVM has
// no decode assists, so hv decodes the bytes itself.)
#pragma once

#include <stddef.h>
#include <stdint.h>

namespace hv::x86 {

struct MmioAccess {
  bool write = false;
  uint8_t size = 0;         // bytes: 1, 2, 4 or 8
  bool has_imm = false;     // a write of an immediate (MOV r/m, imm)
  uint64_t imm = 0;
  uint8_t reg = 0;          // the register operand (0 = RAX ... 15 = R15)
  bool high_byte = false;   // AH/CH/DH/BH (8-bit, no REX)
  bool zero_extend = false; // MOVZX: the read value fills the whole register
  uint8_t length = 0;       // instruction bytes
};

enum class [[nodiscard]] DecodeStatus : uint8_t { kOk, kTruncated, kUnsupported, kNotMemory };

// bytes: up to 15 bytes at the guest's RIP (fewer if the page ends).
DecodeStatus DecodeMmio(const uint8_t* bytes, size_t available, MmioAccess* out);

// The value a read of `size` bytes leaves in a 64-bit register, x86 rules:
// 32-bit results zero the upper half, 8/16-bit ones merge.
uint64_t MergeRead(uint64_t old_reg, const MmioAccess& a, uint64_t value);
// The value a write takes from the register (or immediate).
uint64_t WriteValue(uint64_t reg_value, const MmioAccess& a);

}  // namespace hv::x86
