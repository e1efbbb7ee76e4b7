// SPDX-License-Identifier: Apache-2.0
#include "hv/arch/x86/acpi.h"

#include "hv/lib/log.h"

namespace hv::x86 {
namespace {

// No real table comes near this (large server DSDTs are a few hundred KiB);
// it bounds the checksum loop when a length is garbage.
constexpr uint32_t kMaxTableLength = 16u << 20;
// The RSDP's own length field (revision >= 2); the structure is 36 bytes.
constexpr uint32_t kMaxRsdpLength = 4096;
constexpr size_t kMaxRootEntries = 256;
constexpr uint64_t kBdaEbdaSegment = 0x40E;
constexpr uint64_t kEbdaScanLength = 1024;
constexpr uint64_t kBiosAreaStart = 0xE0000;
constexpr uint64_t kBiosAreaEnd = 0x100000;
// The ACPI 1.0 FADT; anything shorter is cut off.
constexpr uint32_t kFadtV1Length = 116;

uint8_t Sum(const uint8_t* p, size_t n) {
  uint8_t s = 0;
  for (size_t i = 0; i < n; ++i) s = static_cast<uint8_t>(s + p[i]);
  return s;
}

bool BytesEqual(const void* a, const char* b, size_t n) {
  const auto* pa = static_cast<const uint8_t*>(a);
  for (size_t i = 0; i < n; ++i) {
    if (pa[i] != static_cast<uint8_t>(b[i])) return false;
  }
  return true;
}

// A signature made printable for log lines and the table directory.
struct Sig {
  char s[5];
};

Sig PrintableSig(const void* sig) {
  Sig out;
  const auto* p = static_cast<const uint8_t*>(sig);
  for (int i = 0; i < 4; ++i)
    out.s[i] = (p[i] >= 0x20 && p[i] < 0x7F) ? static_cast<char>(p[i]) : '?';
  out.s[4] = '\0';
  return out;
}

// Reads and validates the RSDP candidate at pa. `quiet` keeps the scan from
// logging every place that merely lacks the signature.
bool ValidateRsdp(const PhysReader& mem, PhysAddr pa, AcpiRsdp* out, bool quiet) {
  const void* sig = mem.Map(pa, 8);
  if (sig == nullptr) {
    if (!quiet) HV_WARN("ACPI: RSDP at 0x%lx is unreadable", pa.value());
    return false;
  }
  if (!BytesEqual(sig, "RSD PTR ", 8)) {
    if (!quiet) HV_WARN("ACPI: no RSDP signature at 0x%lx", pa.value());
    return false;
  }
  // Past the signature, a failure is worth a warning even while scanning.
  const auto* v1 = static_cast<const uint8_t*>(mem.Map(pa, kAcpiRsdpV1Size));
  if (v1 == nullptr) {
    HV_WARN("ACPI: RSDP at 0x%lx is truncated (20 bytes not readable)", pa.value());
    return false;
  }
  if (Sum(v1, kAcpiRsdpV1Size) != 0) {
    HV_WARN("ACPI: RSDP at 0x%lx has a bad checksum", pa.value());
    return false;
  }
  *out = AcpiRsdp{};
  CopyBytes(out, v1, kAcpiRsdpV1Size);
  if (out->revision < 2) return true;

  // ACPI 2.0+: the extended part is only trusted with its own checksum;
  // without it the RSDP still serves as a 1.0 one (RSDT only).
  uint32_t length;
  if (!ReadPhys(mem, pa + 20, &length)) length = 0;
  const uint8_t* v2 = nullptr;
  if (length >= sizeof(AcpiRsdp) && length <= kMaxRsdpLength) {
    v2 = static_cast<const uint8_t*>(mem.Map(pa, length));
  }
  if (v2 == nullptr) {
    HV_WARN(
        "ACPI: RSDP at 0x%lx (revision %u): extended part unreadable or length %u bad; "
        "using the RSDT",
        pa.value(), out->revision, length);
    return true;
  }
  if (Sum(v2, length) != 0) {
    HV_WARN("ACPI: RSDP at 0x%lx has a bad extended checksum; using the RSDT", pa.value());
    return true;
  }
  CopyBytes(out, v2, sizeof(AcpiRsdp));
  return true;
}

bool ScanForRsdp(const PhysReader& mem, uint64_t start, uint64_t end, AcpiRsdp* out,
                 PhysAddr* where) {
  for (uint64_t pa = start; pa + kAcpiRsdpV1Size <= end; pa += 16) {
    if (ValidateRsdp(mem, PhysAddr(pa), out, /*quiet=*/true)) {
      *where = PhysAddr(pa);
      return true;
    }
  }
  return false;
}

// Maps and validates the table at pa: a readable header, a sane length, a
// readable body and a zero checksum. `expected` (4 chars) or nullptr.
const uint8_t* MapTable(const PhysReader& mem, PhysAddr pa, const char* expected,
                        uint32_t* length) {
  AcpiHeader h;
  if (pa.value() == 0) {
    HV_WARN("ACPI: null pointer to %s", expected != nullptr ? expected : "a table");
    return nullptr;
  }
  if (!ReadPhys(mem, pa, &h)) {
    HV_WARN("ACPI: table header at 0x%lx is unreadable", pa.value());
    return nullptr;
  }
  const Sig sig = PrintableSig(h.signature);
  if (expected != nullptr && !BytesEqual(h.signature, expected, 4)) {
    HV_WARN("ACPI: table at 0x%lx is '%s', expected %s", pa.value(), sig.s, expected);
    return nullptr;
  }
  if (h.length < sizeof(AcpiHeader) || h.length > kMaxTableLength) {
    HV_WARN("ACPI: %s at 0x%lx has a bad length %u", sig.s, pa.value(), h.length);
    return nullptr;
  }
  const auto* t = static_cast<const uint8_t*>(mem.Map(pa, h.length));
  if (t == nullptr) {
    HV_WARN("ACPI: %s at 0x%lx runs past readable memory (length %u)", sig.s, pa.value(), h.length);
    return nullptr;
  }
  if (Sum(t, h.length) != 0) {
    HV_WARN("ACPI: %s at 0x%lx has a bad checksum, skipped", sig.s, pa.value());
    return nullptr;
  }
  *length = h.length;
  return t;
}

// Adds a validated table to the directory. False if it overlaps one already
// there: firmware that lays tables over each other cannot be trusted about
// either, so the later one is ignored.
bool RecordTable(AcpiInfo* out, const uint8_t* t, PhysAddr pa, uint32_t length) {
  const AcpiHeader h = LoadAt<AcpiHeader>(t, 0);
  const Sig sig = PrintableSig(h.signature);
  for (size_t i = 0; i < out->table_count; ++i) {
    const AcpiTableRef& o = out->tables[i];
    if (pa.value() < o.address.value() + o.length && o.address.value() < pa.value() + length) {
      HV_WARN("ACPI: %s at 0x%lx overlaps %s at 0x%lx, skipped", sig.s, pa.value(), o.signature,
              o.address.value());
      return false;
    }
  }
  if (out->table_count == kMaxAcpiTables) {
    HV_WARN("ACPI: more than %zu tables, %s at 0x%lx not recorded", kMaxAcpiTables, sig.s,
            pa.value());
    return false;
  }
  AcpiTableRef& r = out->tables[out->table_count++];
  CopyBytes(r.signature, sig.s, sizeof(r.signature));
  r.revision = h.revision;
  r.address = pa;
  r.length = length;
  return true;
}

const AcpiTableRef* FindTable(const AcpiInfo& info, const char* sig) {
  const AcpiTableRef* found = nullptr;
  for (size_t i = 0; i < info.table_count; ++i) {
    if (!BytesEqual(info.tables[i].signature, sig, 4)) continue;
    if (found == nullptr) {
      found = &info.tables[i];
    } else {
      HV_WARN("ACPI: another %s at 0x%lx ignored, using the one at 0x%lx", sig,
              info.tables[i].address.value(), found->address.value());
    }
  }
  return found;
}

// The length the MADT entry type needs, or 0 for types hv does not parse.
size_t MadtEntrySize(uint8_t type) {
  switch (type) {
    case kMadtLocalApic:
      return sizeof(MadtLocalApic);
    case kMadtIoApic:
      return sizeof(MadtIoApic);
    case kMadtIrqOverride:
      return sizeof(MadtIrqOverride);
    case kMadtNmiSource:
      return sizeof(MadtNmiSource);
    case kMadtLocalApicNmi:
      return sizeof(MadtLocalApicNmi);
    case kMadtLocalApicOverride:
      return sizeof(MadtLocalApicOverride);
    case kMadtLocalX2Apic:
      return sizeof(MadtLocalX2Apic);
    case kMadtLocalX2ApicNmi:
      return sizeof(MadtLocalX2ApicNmi);
    default:
      return 0;
  }
}

struct MadtDropped {
  size_t cpus, ioapics, overrides, nmi_sources, lapic_nmis;
};

void AddCpu(MadtInfo* m, uint32_t apic_id, uint32_t uid, uint32_t flags, bool online_defined,
            bool x2apic, MadtDropped* dropped) {
  const bool enabled = (flags & kMadtCpuEnabled) != 0;
  const bool online_capable = online_defined && (flags & kMadtCpuOnlineCapable) != 0;
  if (!enabled && !online_capable) return;  // firmware's way of listing absent CPUs
  for (size_t i = 0; i < m->cpu_count; ++i) {
    if (m->cpus[i].apic_id == apic_id) {
      HV_WARN("ACPI: MADT lists APIC id %u twice, the second ignored", apic_id);
      return;
    }
  }
  if (m->cpu_count == kMaxCpus) {
    ++dropped->cpus;
    return;
  }
  m->cpus[m->cpu_count++] = {apic_id, uid, enabled, online_capable && !enabled, x2apic};
}

void ParseMadtEntry(const uint8_t* e, uint8_t type, bool online_defined, MadtInfo* m,
                    MadtDropped* dropped) {
  switch (type) {
    case kMadtLocalApic: {
      const auto x = LoadAt<MadtLocalApic>(e, 0);
      if (x.apic_id == 0xFF) return;  // not a valid xAPIC id
      AddCpu(m, x.apic_id, x.acpi_processor_uid, x.flags, online_defined, false, dropped);
      return;
    }
    case kMadtLocalX2Apic: {
      const auto x = LoadAt<MadtLocalX2Apic>(e, 0);
      if (x.x2apic_id == 0xFFFFFFFF) return;
      AddCpu(m, x.x2apic_id, x.acpi_processor_uid, x.flags, online_defined, true, dropped);
      return;
    }
    case kMadtIoApic: {
      const auto x = LoadAt<MadtIoApic>(e, 0);
      if (x.address == 0) {
        HV_WARN("ACPI: MADT IOAPIC %u has address 0, ignored", x.ioapic_id);
        return;
      }
      if (m->ioapic_count == kMaxIoApics) {
        ++dropped->ioapics;
        return;
      }
      m->ioapics[m->ioapic_count++] = {x.ioapic_id, PhysAddr(x.address), x.gsi_base};
      return;
    }
    case kMadtIrqOverride: {
      const auto x = LoadAt<MadtIrqOverride>(e, 0);
      if (m->override_count == kMaxIrqOverrides) {
        ++dropped->overrides;
        return;
      }
      m->overrides[m->override_count++] = {x.bus, x.source, x.gsi, x.flags};
      return;
    }
    case kMadtNmiSource: {
      const auto x = LoadAt<MadtNmiSource>(e, 0);
      if (m->nmi_source_count == kMaxNmiSources) {
        ++dropped->nmi_sources;
        return;
      }
      m->nmi_sources[m->nmi_source_count++] = {x.gsi, x.flags};
      return;
    }
    case kMadtLocalApicNmi:
    case kMadtLocalX2ApicNmi: {
      AcpiLapicNmi nmi;
      if (type == kMadtLocalApicNmi) {
        const auto x = LoadAt<MadtLocalApicNmi>(e, 0);
        const uint32_t uid =
            x.acpi_processor_uid == 0xFF ? kAcpiAllProcessors : x.acpi_processor_uid;
        nmi = {uid, x.lint, x.flags};
      } else {
        const auto x = LoadAt<MadtLocalX2ApicNmi>(e, 0);
        nmi = {x.acpi_processor_uid, x.lint, x.flags};
      }
      if (m->lapic_nmi_count == kMaxLapicNmis) {
        ++dropped->lapic_nmis;
        return;
      }
      m->lapic_nmis[m->lapic_nmi_count++] = nmi;
      return;
    }
    case kMadtLocalApicOverride: {
      const auto x = LoadAt<MadtLocalApicOverride>(e, 0);
      m->lapic_address = PhysAddr(x.address);
      return;
    }
    default:
      return;
  }
}

void ParseMadt(const uint8_t* t, uint32_t length, MadtInfo* m) {
  if (length < sizeof(AcpiMadt)) {
    HV_WARN("ACPI: MADT is %u bytes, too short", length);
    return;
  }
  const auto madt = LoadAt<AcpiMadt>(t, 0);
  m->present = true;
  m->lapic_address = PhysAddr(madt.local_apic_address);
  m->pcat_compat = (madt.flags & 1) != 0;
  // Before MADT revision 5 the online-capable bit was reserved.
  const bool online_defined = madt.header.revision >= 5;
  MadtDropped dropped{};
  size_t off = sizeof(AcpiMadt);
  while (off < length) {
    if (length - off < sizeof(MadtEntryHeader)) {
      HV_WARN("ACPI: MADT has a stray byte at offset %zu", off);
      break;
    }
    const auto h = LoadAt<MadtEntryHeader>(t, off);
    // A length below 2 would never advance; the rest cannot be found.
    if (h.length < sizeof(MadtEntryHeader)) {
      HV_WARN("ACPI: MADT entry (type %u) at offset %zu has length %u, rest ignored", h.type, off,
              h.length);
      break;
    }
    if (h.length > length - off) {
      HV_WARN("ACPI: MADT entry (type %u) at offset %zu runs past the table, rest ignored", h.type,
              off);
      break;
    }
    const size_t need = MadtEntrySize(h.type);
    if (need != 0 && h.length < need) {
      HV_WARN("ACPI: MADT entry (type %u) at offset %zu is %u bytes, needs %zu; skipped", h.type,
              off, h.length, need);
    } else if (need != 0) {
      ParseMadtEntry(t + off, h.type, online_defined, m, &dropped);
    }
    off += h.length;
  }
  if (dropped.cpus != 0) {
    HV_WARN("ACPI: MADT lists %zu more CPUs than the %zu hv supports; ignored", dropped.cpus,
            kMaxCpus);
  }
  if (dropped.ioapics != 0) {
    HV_WARN("ACPI: MADT lists %zu more IOAPICs than %zu; ignored", dropped.ioapics, kMaxIoApics);
  }
  if (dropped.overrides != 0) {
    HV_WARN("ACPI: MADT lists %zu more interrupt overrides than %zu; ignored", dropped.overrides,
            kMaxIrqOverrides);
  }
  if (dropped.nmi_sources != 0) {
    HV_WARN("ACPI: MADT lists %zu more NMI sources than %zu; ignored", dropped.nmi_sources,
            kMaxNmiSources);
  }
  if (dropped.lapic_nmis != 0) {
    HV_WARN("ACPI: MADT lists %zu more local APIC NMIs than %zu; ignored", dropped.lapic_nmis,
            kMaxLapicNmis);
  }
  if (m->cpu_count == 0) HV_WARN("ACPI: MADT lists no usable CPU");
}

void ParseHpet(const uint8_t* t, uint32_t length, HpetInfo* hpet) {
  if (length < sizeof(AcpiHpet)) {
    HV_WARN("ACPI: HPET table is %u bytes, too short", length);
    return;
  }
  const auto x = LoadAt<AcpiHpet>(t, 0);
  if (x.base_address.space_id != kAcpiSpaceMemory) {
    HV_WARN("ACPI: HPET registers are in address space %u, not memory; HPET ignored",
            x.base_address.space_id);
    return;
  }
  if (x.base_address.address == 0) {
    HV_WARN("ACPI: HPET base address is 0; HPET ignored");
    return;
  }
  hpet->present = true;
  hpet->address = PhysAddr(x.base_address.address);
  hpet->event_timer_block_id = x.event_timer_block_id;
  hpet->number = x.hpet_number;
  hpet->min_clock_tick = x.min_clock_tick;
}

// A PM1 control block: the X_ GAS when the FADT has it, else the 32-bit port.
uint16_t Pm1Port(const char* name, uint32_t length, size_t x_offset, const AcpiGas& x,
                 uint32_t legacy) {
  if (length >= x_offset + sizeof(AcpiGas) && x.address != 0) {
    if (x.space_id == kAcpiSpaceIo && x.address <= 0xFFFF) return static_cast<uint16_t>(x.address);
    HV_WARN("ACPI: FADT X_%s is not an I/O port (space %u, 0x%lx); using %s", name, x.space_id,
            x.address, name);
  }
  if (legacy > 0xFFFF) {
    HV_WARN("ACPI: FADT %s 0x%x is not an I/O port; ignored", name, legacy);
    return 0;
  }
  return static_cast<uint16_t>(legacy);
}

void ParseFadt(const uint8_t* t, uint32_t length, FadtInfo* fadt) {
  if (length < kFadtV1Length) {
    HV_WARN("ACPI: FADT is %u bytes, shorter than ACPI 1.0's %u; the rest taken as 0", length,
            kFadtV1Length);
  }
  // Fields past the table's end read as 0, as the spec has it for older revisions.
  AcpiFadt f{};
  CopyBytes(&f, t, length < sizeof(f) ? length : sizeof(f));
  fadt->present = true;
  fadt->hw_reduced = (f.flags & kFadtHwReducedAcpi) != 0;
  fadt->sci_irq = f.sci_int;
  fadt->iapc_boot_arch = f.iapc_boot_arch;

  const bool has_x_dsdt = length >= __builtin_offsetof(AcpiFadt, x_dsdt) + sizeof(f.x_dsdt);
  if (has_x_dsdt && f.x_dsdt != 0) {
    if (f.dsdt != 0 && f.dsdt != f.x_dsdt) {
      HV_WARN("ACPI: FADT DSDT 0x%x and X_DSDT 0x%lx differ; using X_DSDT", f.dsdt, f.x_dsdt);
    }
    fadt->dsdt = PhysAddr(f.x_dsdt);
  } else {
    fadt->dsdt = PhysAddr(f.dsdt);
  }

  fadt->pm1a_cnt_port =
      Pm1Port("PM1a_CNT_BLK", length, __builtin_offsetof(AcpiFadt, x_pm1a_cnt_blk),
              f.x_pm1a_cnt_blk, f.pm1a_cnt_blk);
  fadt->pm1b_cnt_port =
      Pm1Port("PM1b_CNT_BLK", length, __builtin_offsetof(AcpiFadt, x_pm1b_cnt_blk),
              f.x_pm1b_cnt_blk, f.pm1b_cnt_blk);
  if (fadt->pm1a_cnt_port == 0 && !fadt->hw_reduced) {
    HV_WARN("ACPI: FADT has no PM1a control block; no ACPI power-off");
  }

  const bool has_reset = length > __builtin_offsetof(AcpiFadt, reset_value);
  if (has_reset && (f.flags & kFadtResetRegSupported) != 0) {
    const uint8_t space = f.reset_reg.space_id;
    // System memory, system I/O or PCI configuration space (ACPI 6.5, 4.8.3.6).
    if (f.reset_reg.address == 0 || space > 2) {
      HV_WARN("ACPI: FADT reset register unusable (space %u, address 0x%lx)", space,
              f.reset_reg.address);
    } else {
      fadt->reset_supported = true;
      fadt->reset_reg = f.reset_reg;
      fadt->reset_value = f.reset_value;
    }
  }
}

// PkgLength (ACPI 6.5, 20.2.4): the lead byte's top two bits count the bytes
// that follow; with any, its low nibble is the lowest 4 bits.
bool ReadPkgLength(const uint8_t* aml, size_t len, size_t* p, uint32_t* value) {
  if (*p >= len) return false;
  const uint8_t lead = aml[*p];
  const size_t follow = lead >> 6;
  if (len - *p < 1 + follow) return false;
  uint32_t v = follow == 0 ? (lead & 0x3F) : (lead & 0x0F);
  for (size_t i = 0; i < follow; ++i) v |= uint32_t{aml[*p + 1 + i]} << (4 + 8 * i);
  *p += 1 + follow;
  *value = v;
  return true;
}

// A constant integer term: Zero, One, Ones or a Byte/Word/DWord/QWord prefix.
bool ReadAmlInteger(const uint8_t* aml, size_t end, size_t* p, uint64_t* value) {
  if (*p >= end) return false;
  const uint8_t op = aml[(*p)++];
  size_t bytes;
  switch (op) {
    case 0x00:
      *value = 0;
      return true;
    case 0x01:
      *value = 1;
      return true;
    case 0xFF:
      *value = ~uint64_t{0};
      return true;
    case 0x0A:
      bytes = 1;
      break;
    case 0x0B:
      bytes = 2;
      break;
    case 0x0C:
      bytes = 4;
      break;
    case 0x0E:
      bytes = 8;
      break;
    default:
      return false;
  }
  if (end - *p < bytes) return false;
  uint64_t v = 0;
  for (size_t i = 0; i < bytes; ++i) v |= uint64_t{aml[*p + i]} << (8 * i);
  *p += bytes;
  *value = v;
  return true;
}

bool ParseS5Package(const uint8_t* aml, size_t len, size_t p, SleepType* out) {
  constexpr uint8_t kPackageOp = 0x12;
  if (p >= len || aml[p] != kPackageOp) return false;
  ++p;
  const size_t pkg_start = p;
  uint32_t pkg_length;
  if (!ReadPkgLength(aml, len, &p, &pkg_length)) return false;
  if (pkg_length > len - pkg_start) return false;
  const size_t end = pkg_start + pkg_length;
  if (p >= end) return false;
  const uint8_t count = aml[p++];
  uint64_t a;
  if (count == 0 || !ReadAmlInteger(aml, end, &p, &a)) return false;
  if (count == 1) {
    // One integer carries both: SLP_TYPa in bits 7:0, SLP_TYPb in 15:8 (as ACPICA reads it).
    *out = {static_cast<uint8_t>(a), static_cast<uint8_t>(a >> 8)};
    return true;
  }
  uint64_t b;
  if (!ReadAmlInteger(aml, end, &p, &b)) return false;
  *out = {static_cast<uint8_t>(a), static_cast<uint8_t>(b)};
  return true;
}

}  // namespace

const char* AcpiStatusName(AcpiStatus status) {
  switch (status) {
    case AcpiStatus::kOk:
      return "ok";
    case AcpiStatus::kNoRsdp:
      return "no RSDP";
    case AcpiStatus::kNoRootTable:
      return "no valid XSDT or RSDT";
  }
  return "?";
}

S5Status FindS5(const uint8_t* aml, size_t len, SleepType* out) {
  constexpr uint8_t kNameOp = 0x08;
  S5Status result = S5Status::kNotFound;
  for (size_t i = 1; i + 4 <= len; ++i) {
    if (!BytesEqual(aml + i, "_S5_", 4)) continue;
    const bool named =
        aml[i - 1] == kNameOp || (aml[i - 1] == '\\' && i >= 2 && aml[i - 2] == kNameOp);
    if (!named) continue;
    if (ParseS5Package(aml, len, i + 4, out)) return S5Status::kOk;
    // Keep looking: the bytes may have been data that only looked like a NameOp.
    result = S5Status::kMalformed;
  }
  return result;
}

AcpiStatus FindRsdp(const PhysReader& mem, PhysAddr hint, AcpiRsdp* rsdp, PhysAddr* where) {
  if (hint.value() != 0) {
    if (ValidateRsdp(mem, hint, rsdp, /*quiet=*/false)) {
      *where = hint;
      return AcpiStatus::kOk;
    }
    HV_WARN("ACPI: the RSDP given at 0x%lx is not valid; searching the BIOS areas", hint.value());
  }
  uint16_t ebda_segment = 0;
  if (ReadPhys(mem, PhysAddr(kBdaEbdaSegment), &ebda_segment) && ebda_segment != 0) {
    const uint64_t ebda = uint64_t{ebda_segment} << 4;
    if (ScanForRsdp(mem, ebda, ebda + kEbdaScanLength, rsdp, where)) return AcpiStatus::kOk;
  }
  if (ScanForRsdp(mem, kBiosAreaStart, kBiosAreaEnd, rsdp, where)) return AcpiStatus::kOk;
  return AcpiStatus::kNoRsdp;
}

AcpiStatus ParseAcpi(const PhysReader& mem, PhysAddr rsdp_hint, AcpiInfo* out) {
  *out = AcpiInfo{};
  AcpiRsdp rsdp;
  PhysAddr rsdp_pa;
  if (FindRsdp(mem, rsdp_hint, &rsdp, &rsdp_pa) != AcpiStatus::kOk) {
    HV_ERROR("ACPI: %s", AcpiStatusName(AcpiStatus::kNoRsdp));
    return AcpiStatus::kNoRsdp;
  }
  out->rsdp = rsdp_pa;
  out->rsdp_revision = rsdp.revision;

  // The XSDT when there is one (ACPI 2.0+), else the RSDT.
  const uint8_t* root = nullptr;
  uint32_t root_length = 0;
  size_t entry_size = 4;
  if (rsdp.revision >= 2 && rsdp.xsdt_address != 0) {
    root = MapTable(mem, PhysAddr(rsdp.xsdt_address), "XSDT", &root_length);
    if (root != nullptr) {
      out->used_xsdt = true;
      out->root_table = PhysAddr(rsdp.xsdt_address);
      entry_size = 8;
    } else {
      HV_WARN("ACPI: XSDT unusable, trying the RSDT");
    }
  }
  if (root == nullptr && rsdp.rsdt_address != 0) {
    root = MapTable(mem, PhysAddr(rsdp.rsdt_address), "RSDT", &root_length);
    out->root_table = PhysAddr(rsdp.rsdt_address);
  }
  if (root == nullptr) {
    HV_ERROR("ACPI: %s (RSDP at 0x%lx)", AcpiStatusName(AcpiStatus::kNoRootTable), rsdp_pa.value());
    out->root_table = PhysAddr(0);
    return AcpiStatus::kNoRootTable;
  }
  HV_INFO("ACPI: RSDP at 0x%lx revision %u, %s at 0x%lx", rsdp_pa.value(), rsdp.revision,
          out->used_xsdt ? "XSDT" : "RSDT", out->root_table.value());
  (void)RecordTable(out, root, out->root_table, root_length);

  const size_t body = root_length - sizeof(AcpiHeader);
  if (body % entry_size != 0) {
    HV_WARN("ACPI: %s length %u is not a whole number of entries; the partial one ignored",
            out->used_xsdt ? "XSDT" : "RSDT", root_length);
  }
  size_t entries = body / entry_size;
  if (entries > kMaxRootEntries) {
    HV_WARN("ACPI: root table lists %zu tables, only the first %zu read", entries, kMaxRootEntries);
    entries = kMaxRootEntries;
  }
  for (size_t i = 0; i < entries; ++i) {
    const size_t off = sizeof(AcpiHeader) + i * entry_size;
    const uint64_t pa = entry_size == 8 ? LoadAt<uint64_t>(root, off) : LoadAt<uint32_t>(root, off);
    uint32_t length;
    const uint8_t* t = MapTable(mem, PhysAddr(pa), nullptr, &length);
    if (t != nullptr) (void)RecordTable(out, t, PhysAddr(pa), length);
  }

  // Look the tables up again through the directory: RecordTable has vetted
  // them, and the mapping is still valid (PhysReader's contract).
  auto map = [&](const AcpiTableRef* ref) -> const uint8_t* {
    return ref == nullptr ? nullptr
                          : static_cast<const uint8_t*>(mem.Map(ref->address, ref->length));
  };
  if (const AcpiTableRef* ref = FindTable(*out, "APIC"); ref != nullptr) {
    ParseMadt(map(ref), ref->length, &out->madt);
  } else {
    HV_WARN("ACPI: no MADT");
  }
  if (const AcpiTableRef* ref = FindTable(*out, "HPET"); ref != nullptr) {
    ParseHpet(map(ref), ref->length, &out->hpet);
  } else {
    HV_WARN("ACPI: no HPET table");
  }
  if (const AcpiTableRef* ref = FindTable(*out, "FACP"); ref != nullptr) {
    ParseFadt(map(ref), ref->length, &out->fadt);
  } else {
    HV_WARN("ACPI: no FADT; no ACPI power-off or reset register");
  }

  if (out->fadt.present && !out->fadt.hw_reduced) {
    uint32_t length;
    const uint8_t* dsdt = MapTable(mem, out->fadt.dsdt, "DSDT", &length);
    if (dsdt != nullptr && RecordTable(out, dsdt, out->fadt.dsdt, length)) {
      const S5Status s = FindS5(dsdt + sizeof(AcpiHeader), length - sizeof(AcpiHeader), &out->s5);
      out->has_s5 = s == S5Status::kOk;
      if (s == S5Status::kNotFound) {
        HV_WARN("ACPI: no \\_S5 in the DSDT; no ACPI power-off");
      } else if (s == S5Status::kMalformed) {
        HV_WARN("ACPI: the DSDT's \\_S5 package is malformed; no ACPI power-off");
      }
    } else {
      HV_WARN("ACPI: no usable DSDT; no ACPI power-off");
    }
  }

  HV_INFO("ACPI: %zu CPUs, %zu IOAPICs, %zu overrides, HPET %s, FADT %s, S5 %s",
          out->madt.cpu_count, out->madt.ioapic_count, out->madt.override_count,
          out->hpet.present ? "yes" : "no", out->fadt.present ? "yes" : "no",
          out->has_s5 ? "yes" : "no");
  return AcpiStatus::kOk;
}

}  // namespace hv::x86
