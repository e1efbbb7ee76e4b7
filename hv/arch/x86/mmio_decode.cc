// SPDX-License-Identifier: Apache-2.0
#include "hv/arch/x86/mmio_decode.h"

namespace hv::x86 {

DecodeStatus DecodeMmio(const uint8_t* b, size_t n, MmioAccess* out) {
  *out = MmioAccess{};
  size_t i = 0;
  bool opsize16 = false;
  uint8_t rex = 0;
  // Legacy prefixes: operand size, address size, segments. LOCK and REP are
  // not something a device access does: refused.
  for (; i < n && i < 14; ++i) {
    const uint8_t p = b[i];
    if (p == 0x66) {
      opsize16 = true;
    } else if (p == 0x67 || p == 0x2e || p == 0x36 || p == 0x3e || p == 0x26 || p == 0x64 ||
               p == 0x65) {
      continue;
    } else if (p == 0xf0 || p == 0xf2 || p == 0xf3) {
      return DecodeStatus::kUnsupported;
    } else {
      break;
    }
  }
  if (i < n && (b[i] & 0xf0) == 0x40) rex = b[i++];  // REX must be last before the opcode
  if (i >= n) return DecodeStatus::kTruncated;
  const bool rex_w = rex & 8;
  const uint8_t opsize = rex_w ? 8 : opsize16 ? 2 : 4;
  uint8_t op = b[i++];
  bool two_byte = false;
  if (op == 0x0f) {
    if (i >= n) return DecodeStatus::kTruncated;
    op = b[i++];
    two_byte = true;
  }
  switch (two_byte ? 0x100 | op : op) {
    case 0x88: out->write = true; out->size = 1; break;
    case 0x89: out->write = true; out->size = opsize; break;
    case 0x8a: out->size = 1; break;
    case 0x8b: out->size = opsize; break;
    case 0xc6: out->write = true; out->size = 1; out->has_imm = true; break;
    case 0xc7: out->write = true; out->size = opsize; out->has_imm = true; break;
    case 0x1b6: out->size = 1; out->zero_extend = true; break;
    case 0x1b7: out->size = 2; out->zero_extend = true; break;
    default: return DecodeStatus::kUnsupported;
  }
  // ModRM, SIB, displacement: only their length matters (the fault gave the address).
  if (i >= n) return DecodeStatus::kTruncated;
  const uint8_t modrm = b[i++];
  const uint8_t mod = modrm >> 6, reg = (modrm >> 3) & 7, rm = modrm & 7;
  if (mod == 3) return DecodeStatus::kNotMemory;
  if (out->has_imm && reg != 0) return DecodeStatus::kUnsupported;  // C6/C7 /0 only
  size_t disp = mod == 1 ? 1 : mod == 2 ? 4 : 0;
  if (rm == 4) {  // SIB
    if (i >= n) return DecodeStatus::kTruncated;
    const uint8_t sib = b[i++];
    if (mod == 0 && (sib & 7) == 5) disp = 4;
  } else if (mod == 0 && rm == 5) {
    disp = 4;  // RIP-relative
  }
  i += disp;
  if (out->has_imm) {
    const size_t imm_size = out->size == 1 ? 1 : out->size == 2 ? 2 : 4;
    if (i + imm_size > n) return DecodeStatus::kTruncated;
    uint64_t imm = 0;
    for (size_t k = 0; k < imm_size; ++k) imm |= uint64_t{b[i + k]} << (8 * k);
    if (imm_size == 4 && out->size == 8 && (imm & 0x80000000)) imm |= 0xffffffff00000000;
    out->imm = imm;
    i += imm_size;
  }
  if (i > n) return DecodeStatus::kTruncated;
  out->reg = static_cast<uint8_t>(reg | ((rex & 4) ? 8 : 0));
  // Without REX, 8-bit registers 4-7 are AH, CH, DH, BH (movzx reads into a full register).
  if (out->size == 1 && !rex && reg >= 4 && !out->zero_extend) {
    out->high_byte = true;
    out->reg = reg - 4;
  }
  out->length = static_cast<uint8_t>(i);
  return DecodeStatus::kOk;
}

uint64_t MergeRead(uint64_t old, const MmioAccess& a, uint64_t value) {
  if (a.zero_extend) return a.size == 1 ? (value & 0xff) : (value & 0xffff);
  switch (a.size) {
    case 1:
      if (a.high_byte) return (old & ~0xff00ull) | ((value & 0xff) << 8);
      return (old & ~0xffull) | (value & 0xff);
    case 2: return (old & ~0xffffull) | (value & 0xffff);
    case 4: return value & 0xffffffff;  // 32-bit results clear the upper half
    default: return value;
  }
}

uint64_t WriteValue(uint64_t reg_value, const MmioAccess& a) {
  if (a.has_imm) return a.imm;
  const uint64_t v = a.high_byte ? reg_value >> 8 : reg_value;
  switch (a.size) {
    case 1: return v & 0xff;
    case 2: return v & 0xffff;
    case 4: return v & 0xffffffff;
    default: return v;
  }
}

}  // namespace hv::x86
