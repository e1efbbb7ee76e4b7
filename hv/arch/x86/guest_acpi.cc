// SPDX-License-Identifier: Apache-2.0
#include "hv/arch/x86/guest_acpi.h"

#include "hv/lib/log.h"

namespace hv::x86 {
namespace {

constexpr uint64_t k4GiB = uint64_t{1} << 32;

constexpr char kOemId[6] = {'H', 'V', ' ', ' ', ' ', ' '};
constexpr char kOemTableId[8] = {'H', 'V', 'G', 'U', 'E', 'S', 'T', ' '};
constexpr char kCreatorId[4] = {'H', 'V', ' ', ' '};
constexpr uint32_t kOemRevision = 1;
constexpr uint32_t kCreatorRevision = 1;

constexpr uint8_t kRsdpRevision = 2;
constexpr uint8_t kXsdtRevision = 1;
constexpr uint8_t kFadtRevision = 6;      // ACPI 6.x layout, 276 bytes
constexpr uint8_t kFadtMinorVersion = 5;  // 6.5
constexpr uint8_t kMadtRevision = 5;      // ACPI 6.3+: Online-Capable is defined (unused here)
constexpr uint8_t kDsdtRevision = 2;      // 64-bit AML integers
constexpr uint8_t kFacsVersion = 2;
constexpr size_t kXsdtEntries = 2;  // FADT, MADT

// MPS INTI flags: polarity bits 1:0, trigger mode bits 3:2.
constexpr uint16_t kIntiConforming = 0;
constexpr uint16_t kIntiActiveHighLevel = 0x1 | (0x3 << 2);

// P_LVL2_LAT above 100 and P_LVL3_LAT above 1000 mean "no C2/C3".
constexpr uint16_t kNoC2Latency = 101;
constexpr uint16_t kNoC3Latency = 1001;

// The DSDT's whole body: Name (_S5, Package (0x04) {5, 5, Zero, Zero}), the
// bytes iasl emits for it, and the pvpanic device. SLP_TYPa is for PM1a_CNT; SLP_TYPb is unused (no
// PM1b) but set alike.
// clang-format off
constexpr uint8_t kDsdtAml[] = {
    0x08, '_', 'S', '5', '_',  // NameOp, NameSeg
    0x12, 0x08, 0x04,          // PackageOp, PkgLength (8 bytes from here), NumElements
    0x0A, kGuestS5SlpTyp,      // BytePrefix: SLP_TYPa
    0x0A, kGuestS5SlpTyp,      // BytePrefix: SLP_TYPb
    0x00, 0x00,                // Zero, Zero (reserved)
    // Scope (\_SB) { Device (PEVT) { Name (_HID, "QEMU0001")
    //   Name (_CRS, ResourceTemplate () { IO (Decode16, 0x505, 0x505, 1, 1) }) } }
    // QEMU's pvpanic device: Linux's pvpanic driver tells hv it crashed.
    0x10, 0x2E, '_', 'S', 'B', '_',                // ScopeOp, PkgLength 46, _SB_ (at the root: \_SB)
    0x5B, 0x82, 0x27, 'P', 'E', 'V', 'T',          // DeviceOp, PkgLength 39, PEVT
    0x08, '_', 'H', 'I', 'D',                      // NameOp _HID
    0x0D, 'Q', 'E', 'M', 'U', '0', '0', '0', '1', 0x00,  // String "QEMU0001"
    0x08, '_', 'C', 'R', 'S',                      // NameOp _CRS
    0x11, 0x0D, 0x0A, 0x0A,                        // BufferOp, PkgLength 13, size 10
    0x47, 0x01, 0x05, 0x05, 0x05, 0x05, 0x01, 0x01,  // IO: decode16, 0x505-0x505, align 1, 1 port
    0x79, 0x00,                                    // EndTag
};
// clang-format on

// Where each table goes, as offsets from base (= offsets into out).
struct Plan {
  size_t xsdt = 0, xsdt_length = 0;
  size_t fadt = 0;
  size_t facs = 0;
  size_t dsdt = 0, dsdt_length = 0;
  size_t madt = 0, madt_length = 0;
  size_t total = 0;
};

constexpr size_t AlignSize(size_t v, size_t a) { return (v + a - 1) & ~(a - 1); }

Plan MakePlan(const GuestAcpiParams& p) {
  Plan plan;
  size_t off = sizeof(AcpiRsdp);
  plan.xsdt = off = AlignSize(off, 16);
  plan.xsdt_length = sizeof(AcpiHeader) + kXsdtEntries * sizeof(uint64_t);
  plan.fadt = off = AlignSize(off + plan.xsdt_length, 16);
  // The FACS must be 64-byte aligned in guest-physical memory (base is only
  // known to be 16-byte aligned).
  off += sizeof(AcpiFadt);
  plan.facs = static_cast<size_t>(AlignUp(p.base + off, 64) - p.base);
  plan.dsdt = off = AlignSize(plan.facs + sizeof(AcpiFacs), 16);
  plan.dsdt_length = sizeof(AcpiHeader) + sizeof(kDsdtAml);
  plan.madt = off = AlignSize(off + plan.dsdt_length, 16);
  const size_t cpu_entry = p.apic_entries == GuestApicEntries::kLocalX2Apic
                               ? sizeof(MadtLocalX2Apic)
                               : sizeof(MadtLocalApic);
  plan.madt_length = sizeof(AcpiMadt) + size_t{p.vcpu_count} * cpu_entry + sizeof(MadtIoApic) +
                     2 * sizeof(MadtIrqOverride);
  plan.total = off + plan.madt_length;
  return plan;
}

uint8_t Sum(const uint8_t* p, size_t n) {
  uint8_t s = 0;
  for (size_t i = 0; i < n; ++i) s = static_cast<uint8_t>(s + p[i]);
  return s;
}

// Makes bytes [0, n) of p sum to 0 by setting p[at].
void FixChecksum(uint8_t* p, size_t n, size_t at) {
  p[at] = 0;
  p[at] = static_cast<uint8_t>(-Sum(p, n));
}

template <typename T>
void Put(uint8_t* out, size_t offset, const T& v) {
  static_assert(__is_trivially_copyable(T));
  CopyBytes(out + offset, &v, sizeof(T));
}

AcpiHeader Header(const char (&signature)[5], size_t length, uint8_t revision) {
  AcpiHeader h{};
  CopyBytes(h.signature, signature, 4);
  h.length = static_cast<uint32_t>(length);
  h.revision = revision;
  CopyBytes(h.oem_id, kOemId, sizeof(kOemId));
  CopyBytes(h.oem_table_id, kOemTableId, sizeof(kOemTableId));
  h.oem_revision = kOemRevision;
  CopyBytes(&h.creator_id, kCreatorId, sizeof(kCreatorId));
  h.creator_revision = kCreatorRevision;
  return h;
}

AcpiGas IoRegister(uint16_t port, uint8_t bytes) {
  // Access size: 1 byte, 2 word. The PM1 event block is two 16-bit registers.
  const uint8_t access = bytes == 1 ? 1 : 2;
  return AcpiGas{kAcpiSpaceIo, static_cast<uint8_t>(bytes * 8), 0, access, port};
}

bool Overlap(uint32_t a, uint32_t a_len, uint32_t b, uint32_t b_len) {
  return a < b + b_len && b < a + a_len;
}

bool CheckParams(const GuestAcpiParams& p) {
  const uint32_t max =
      p.apic_entries == GuestApicEntries::kLocalApic ? kMaxGuestAcpiXApicVcpus : kMaxGuestAcpiVcpus;
  if (p.vcpu_count == 0 || p.vcpu_count > max) {
    HV_WARN("guest ACPI: %u vCPUs, expected 1..%u with %s entries", p.vcpu_count, max,
            p.apic_entries == GuestApicEntries::kLocalApic ? "local APIC" : "local x2APIC");
    return false;
  }
  if (p.base == 0 || p.base % 16 != 0 || p.base >= k4GiB) {
    HV_WARN("guest ACPI: base 0x%lx is not a non-zero multiple of 16 below 4 GiB", p.base);
    return false;
  }
  const uint32_t evt = p.pm1a_evt_port, cnt = p.pm1a_cnt_port, reset = p.reset_port;
  if (evt == 0 || cnt == 0 || reset == 0 || evt + kGuestPm1EvtLen > 0x10000 ||
      cnt + kGuestPm1CntLen > 0x10000) {
    HV_WARN("guest ACPI: I/O ports PM1a_EVT 0x%x, PM1a_CNT 0x%x, reset 0x%x: zero or past 0xffff",
            evt, cnt, reset);
    return false;
  }
  if (Overlap(evt, kGuestPm1EvtLen, cnt, kGuestPm1CntLen) ||
      Overlap(evt, kGuestPm1EvtLen, reset, 1) || Overlap(cnt, kGuestPm1CntLen, reset, 1)) {
    HV_WARN("guest ACPI: I/O ports PM1a_EVT 0x%x+4, PM1a_CNT 0x%x+2 and reset 0x%x overlap", evt,
            cnt, reset);
    return false;
  }
  if (p.sci_irq == 0 || p.sci_irq == 2 || p.sci_irq > 15) {
    HV_WARN("guest ACPI: SCI IRQ %u is not an ISA IRQ in 1..15 other than 2", p.sci_irq);
    return false;
  }
  return true;
}

void WriteRsdp(uint8_t* out, uint64_t base, const Plan& plan) {
  AcpiRsdp r{};
  CopyBytes(r.signature, "RSD PTR ", 8);
  CopyBytes(r.oem_id, kOemId, sizeof(kOemId));
  r.revision = kRsdpRevision;
  r.rsdt_address = 0;
  r.length = sizeof(AcpiRsdp);
  r.xsdt_address = base + plan.xsdt;
  Put(out, 0, r);
  FixChecksum(out, kAcpiRsdpV1Size, __builtin_offsetof(AcpiRsdp, checksum));
  FixChecksum(out, sizeof(AcpiRsdp), __builtin_offsetof(AcpiRsdp, extended_checksum));
}

void WriteXsdt(uint8_t* out, uint64_t base, const Plan& plan) {
  uint8_t* t = out + plan.xsdt;
  Put(t, 0, Header("XSDT", plan.xsdt_length, kXsdtRevision));
  Put<uint64_t>(t, sizeof(AcpiHeader), base + plan.fadt);
  Put<uint64_t>(t, sizeof(AcpiHeader) + 8, base + plan.madt);
  FixChecksum(t, plan.xsdt_length, __builtin_offsetof(AcpiHeader, checksum));
}

void WriteFadt(uint8_t* out, const GuestAcpiParams& p, const Plan& plan) {
  AcpiFadt f{};
  f.header = Header("FACP", sizeof(AcpiFadt), kFadtRevision);
  // 32-bit and 64-bit pointers agree, so no OS sees a "32/64X mismatch".
  f.firmware_ctrl = static_cast<uint32_t>(p.base + plan.facs);
  f.x_firmware_ctrl = p.base + plan.facs;
  f.dsdt = static_cast<uint32_t>(p.base + plan.dsdt);
  f.x_dsdt = p.base + plan.dsdt;
  f.preferred_pm_profile = 0;  // unspecified
  f.sci_int = p.sci_irq;
  f.smi_cmd = 0;  // no SMM: the machine is always in ACPI mode
  f.pm1a_evt_blk = p.pm1a_evt_port;
  f.pm1_evt_len = kGuestPm1EvtLen;
  f.x_pm1a_evt_blk = IoRegister(p.pm1a_evt_port, kGuestPm1EvtLen);
  f.pm1a_cnt_blk = p.pm1a_cnt_port;
  f.pm1_cnt_len = kGuestPm1CntLen;
  f.x_pm1a_cnt_blk = IoRegister(p.pm1a_cnt_port, kGuestPm1CntLen);
  // No PM1b, PM2, PM timer (optional since ACPI 5.0A) or GPE blocks.
  f.p_lvl2_lat = kNoC2Latency;
  f.p_lvl3_lat = kNoC3Latency;
  f.century = 0;  // no CMOS RTC
  f.iapc_boot_arch =
      kIapcVgaNotPresent | kIapcCmosRtcNotPresent | static_cast<uint16_t>(p.i8042 ? kIapc8042 : 0);
  f.flags = kFadtWbinvd | kFadtC1Supported | kFadtPowerButtonIsControlMethod |
            kFadtSleepButtonIsControlMethod | kFadtFixedRtcAbsent | kFadtResetRegSupported;
  f.reset_reg = IoRegister(p.reset_port, 1);
  f.reset_value = p.reset_value;
  f.fadt_minor_version = kFadtMinorVersion;
  Put(out, plan.fadt, f);
  FixChecksum(out + plan.fadt, sizeof(AcpiFadt), __builtin_offsetof(AcpiHeader, checksum));
}

void WriteFacs(uint8_t* out, const Plan& plan) {
  AcpiFacs facs{};
  CopyBytes(facs.signature, "FACS", 4);
  facs.length = sizeof(AcpiFacs);
  facs.version = kFacsVersion;
  Put(out, plan.facs, facs);
}

void WriteDsdt(uint8_t* out, const Plan& plan) {
  uint8_t* t = out + plan.dsdt;
  Put(t, 0, Header("DSDT", plan.dsdt_length, kDsdtRevision));
  CopyBytes(t + sizeof(AcpiHeader), kDsdtAml, sizeof(kDsdtAml));
  FixChecksum(t, plan.dsdt_length, __builtin_offsetof(AcpiHeader, checksum));
}

void WriteMadt(uint8_t* out, const GuestAcpiParams& p, const Plan& plan) {
  uint8_t* t = out + plan.madt;
  AcpiMadt madt{};
  madt.header = Header("APIC", plan.madt_length, kMadtRevision);
  madt.local_apic_address = static_cast<uint32_t>(kGuestLapicAddress);
  madt.flags = 0;  // no PC-AT 8259s
  Put(t, 0, madt);
  size_t off = sizeof(AcpiMadt);
  for (uint32_t i = 0; i < p.vcpu_count; ++i) {
    if (p.apic_entries == GuestApicEntries::kLocalX2Apic) {
      const MadtLocalX2Apic e{
          {kMadtLocalX2Apic, sizeof(MadtLocalX2Apic)}, 0, i, kMadtCpuEnabled, i};
      Put(t, off, e);
      off += sizeof(e);
    } else {
      const auto id = static_cast<uint8_t>(i);  // i < 255, checked
      const MadtLocalApic e{{kMadtLocalApic, sizeof(MadtLocalApic)}, id, id, kMadtCpuEnabled};
      Put(t, off, e);
      off += sizeof(e);
    }
  }
  const MadtIoApic ioapic{{kMadtIoApic, sizeof(MadtIoApic)},
                          p.ioapic_id,
                          0,
                          static_cast<uint32_t>(kGuestIoApicAddress),
                          0};
  Put(t, off, ioapic);
  off += sizeof(ioapic);
  const MadtIrqOverride timer{
      {kMadtIrqOverride, sizeof(MadtIrqOverride)}, 0, 0, 2, kIntiConforming};
  Put(t, off, timer);
  off += sizeof(timer);
  const MadtIrqOverride sci{
      {kMadtIrqOverride, sizeof(MadtIrqOverride)}, 0, p.sci_irq, p.sci_irq, kIntiActiveHighLevel};
  Put(t, off, sci);
  FixChecksum(t, plan.madt_length, __builtin_offsetof(AcpiHeader, checksum));
}

}  // namespace

const char* GuestAcpiStatusName(GuestAcpiStatus status) {
  switch (status) {
    case GuestAcpiStatus::kOk:
      return "ok";
    case GuestAcpiStatus::kBadParams:
      return "bad parameters";
    case GuestAcpiStatus::kNoSpace:
      return "buffer too small";
  }
  return "?";
}

GuestAcpiStatus BuildGuestAcpi(const GuestAcpiParams& p, uint8_t* out, size_t cap, size_t* used) {
  *used = 0;
  if (!CheckParams(p)) return GuestAcpiStatus::kBadParams;
  // Checked before planning, so that no address below can wrap.
  const Plan plan = MakePlan(p);
  const uint64_t end = p.base + plan.total;
  if (end > k4GiB || end > p.memory_bytes) {
    HV_WARN(
        "guest ACPI: tables at [0x%lx, 0x%lx) are not inside guest memory below 4 GiB (0x%lx "
        "bytes)",
        p.base, end, p.memory_bytes);
    return GuestAcpiStatus::kBadParams;
  }
  *used = plan.total;
  if (out == nullptr) return GuestAcpiStatus::kNoSpace;  // a size query: no warning
  if (cap < plan.total) {
    HV_WARN("guest ACPI: tables need %zu bytes, the buffer has %zu", plan.total, cap);
    return GuestAcpiStatus::kNoSpace;
  }
  for (size_t i = 0; i < plan.total; ++i) out[i] = 0;
  WriteRsdp(out, p.base, plan);
  WriteXsdt(out, p.base, plan);
  WriteFadt(out, p, plan);
  WriteFacs(out, plan);
  WriteDsdt(out, plan);
  WriteMadt(out, p, plan);
  return GuestAcpiStatus::kOk;
}

}  // namespace hv::x86
