// SPDX-License-Identifier: Apache-2.0
// The ACPI tables hv needs to run the machine: MADT (CPUs, IOAPICs, interrupt
// overrides, NMIs), HPET (where it is), FADT (power-off and reset) and the
// \_S5 sleep type from the DSDT. Firmware tables are outside input: every
// length and pointer is checked against what PhysReader says is readable;
// anything malformed is logged and skipped, and the result stays safe to use.
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "hv/arch/x86/phys_reader.h"
#include "hv/lib/addr.h"

namespace hv::x86 {

// ---------------------------------------------------------------------------
// Firmware structures (ACPI 6.5). All little-endian and packed.

struct [[gnu::packed]] AcpiRsdp {
  char signature[8];  // "RSD PTR "
  uint8_t checksum;   // over the first 20 bytes
  char oem_id[6];
  uint8_t revision;  // 0 for ACPI 1.0, 2 for 2.0+
  uint32_t rsdt_address;
  // Revision >= 2 only.
  uint32_t length;  // of the whole structure
  uint64_t xsdt_address;
  uint8_t extended_checksum;  // over `length` bytes
  uint8_t reserved[3];
};
inline constexpr size_t kAcpiRsdpV1Size = 20;
static_assert(sizeof(AcpiRsdp) == 36);
static_assert(__builtin_offsetof(AcpiRsdp, checksum) == 8);
static_assert(__builtin_offsetof(AcpiRsdp, oem_id) == 9);
static_assert(__builtin_offsetof(AcpiRsdp, revision) == 15);
static_assert(__builtin_offsetof(AcpiRsdp, rsdt_address) == 16);
static_assert(__builtin_offsetof(AcpiRsdp, length) == 20);
static_assert(__builtin_offsetof(AcpiRsdp, xsdt_address) == 24);
static_assert(__builtin_offsetof(AcpiRsdp, extended_checksum) == 32);

struct [[gnu::packed]] AcpiHeader {
  char signature[4];
  uint32_t length;  // including this header
  uint8_t revision;
  uint8_t checksum;  // all `length` bytes sum to 0
  char oem_id[6];
  char oem_table_id[8];
  uint32_t oem_revision;
  uint32_t creator_id;
  uint32_t creator_revision;
};
static_assert(sizeof(AcpiHeader) == 36);
static_assert(__builtin_offsetof(AcpiHeader, length) == 4);
static_assert(__builtin_offsetof(AcpiHeader, revision) == 8);
static_assert(__builtin_offsetof(AcpiHeader, checksum) == 9);
static_assert(__builtin_offsetof(AcpiHeader, oem_id) == 10);
static_assert(__builtin_offsetof(AcpiHeader, oem_table_id) == 16);
static_assert(__builtin_offsetof(AcpiHeader, oem_revision) == 24);
static_assert(__builtin_offsetof(AcpiHeader, creator_id) == 28);
static_assert(__builtin_offsetof(AcpiHeader, creator_revision) == 32);

// Generic Address Structure.
struct [[gnu::packed]] AcpiGas {
  uint8_t space_id;  // kAcpiSpace*
  uint8_t bit_width;
  uint8_t bit_offset;
  uint8_t access_size;  // 0 undefined, 1 byte, 2 word, 3 dword, 4 qword
  uint64_t address;
};
static_assert(sizeof(AcpiGas) == 12);
static_assert(__builtin_offsetof(AcpiGas, space_id) == 0);
static_assert(__builtin_offsetof(AcpiGas, bit_width) == 1);
static_assert(__builtin_offsetof(AcpiGas, bit_offset) == 2);
static_assert(__builtin_offsetof(AcpiGas, access_size) == 3);
static_assert(__builtin_offsetof(AcpiGas, address) == 4);

inline constexpr uint8_t kAcpiSpaceMemory = 0;
inline constexpr uint8_t kAcpiSpaceIo = 1;

struct [[gnu::packed]] AcpiMadt {
  AcpiHeader header;
  uint32_t local_apic_address;
  uint32_t flags;  // bit 0: PC-AT compatible dual 8259s
};
static_assert(sizeof(AcpiMadt) == 44);
static_assert(__builtin_offsetof(AcpiMadt, local_apic_address) == 36);
static_assert(__builtin_offsetof(AcpiMadt, flags) == 40);

struct [[gnu::packed]] MadtEntryHeader {
  uint8_t type;
  uint8_t length;  // including this header
};
static_assert(sizeof(MadtEntryHeader) == 2);

inline constexpr uint8_t kMadtLocalApic = 0;
inline constexpr uint8_t kMadtIoApic = 1;
inline constexpr uint8_t kMadtIrqOverride = 2;
inline constexpr uint8_t kMadtNmiSource = 3;
inline constexpr uint8_t kMadtLocalApicNmi = 4;
inline constexpr uint8_t kMadtLocalApicOverride = 5;
inline constexpr uint8_t kMadtLocalX2Apic = 9;
inline constexpr uint8_t kMadtLocalX2ApicNmi = 10;

inline constexpr uint32_t kMadtCpuEnabled = 1u << 0;
inline constexpr uint32_t kMadtCpuOnlineCapable = 1u << 1;  // MADT revision >= 5

struct [[gnu::packed]] MadtLocalApic {
  MadtEntryHeader h;
  uint8_t acpi_processor_uid;
  uint8_t apic_id;
  uint32_t flags;
};
static_assert(sizeof(MadtLocalApic) == 8);
static_assert(__builtin_offsetof(MadtLocalApic, acpi_processor_uid) == 2);
static_assert(__builtin_offsetof(MadtLocalApic, apic_id) == 3);
static_assert(__builtin_offsetof(MadtLocalApic, flags) == 4);

struct [[gnu::packed]] MadtIoApic {
  MadtEntryHeader h;
  uint8_t ioapic_id;
  uint8_t reserved;
  uint32_t address;
  uint32_t gsi_base;
};
static_assert(sizeof(MadtIoApic) == 12);
static_assert(__builtin_offsetof(MadtIoApic, ioapic_id) == 2);
static_assert(__builtin_offsetof(MadtIoApic, address) == 4);
static_assert(__builtin_offsetof(MadtIoApic, gsi_base) == 8);

struct [[gnu::packed]] MadtIrqOverride {
  MadtEntryHeader h;
  uint8_t bus;     // 0: ISA
  uint8_t source;  // ISA IRQ
  uint32_t gsi;
  uint16_t flags;  // MPS INTI flags: polarity bits 1:0, trigger mode bits 3:2
};
static_assert(sizeof(MadtIrqOverride) == 10);
static_assert(__builtin_offsetof(MadtIrqOverride, bus) == 2);
static_assert(__builtin_offsetof(MadtIrqOverride, source) == 3);
static_assert(__builtin_offsetof(MadtIrqOverride, gsi) == 4);
static_assert(__builtin_offsetof(MadtIrqOverride, flags) == 8);

struct [[gnu::packed]] MadtNmiSource {
  MadtEntryHeader h;
  uint16_t flags;  // MPS INTI flags
  uint32_t gsi;
};
static_assert(sizeof(MadtNmiSource) == 8);
static_assert(__builtin_offsetof(MadtNmiSource, flags) == 2);
static_assert(__builtin_offsetof(MadtNmiSource, gsi) == 4);

struct [[gnu::packed]] MadtLocalApicNmi {
  MadtEntryHeader h;
  uint8_t acpi_processor_uid;  // 0xFF: all processors
  uint16_t flags;              // MPS INTI flags
  uint8_t lint;                // LINT0 or LINT1
};
static_assert(sizeof(MadtLocalApicNmi) == 6);
static_assert(__builtin_offsetof(MadtLocalApicNmi, acpi_processor_uid) == 2);
static_assert(__builtin_offsetof(MadtLocalApicNmi, flags) == 3);
static_assert(__builtin_offsetof(MadtLocalApicNmi, lint) == 5);

struct [[gnu::packed]] MadtLocalApicOverride {
  MadtEntryHeader h;
  uint16_t reserved;
  uint64_t address;
};
static_assert(sizeof(MadtLocalApicOverride) == 12);
static_assert(__builtin_offsetof(MadtLocalApicOverride, address) == 4);

struct [[gnu::packed]] MadtLocalX2Apic {
  MadtEntryHeader h;
  uint16_t reserved;
  uint32_t x2apic_id;
  uint32_t flags;
  uint32_t acpi_processor_uid;
};
static_assert(sizeof(MadtLocalX2Apic) == 16);
static_assert(__builtin_offsetof(MadtLocalX2Apic, x2apic_id) == 4);
static_assert(__builtin_offsetof(MadtLocalX2Apic, flags) == 8);
static_assert(__builtin_offsetof(MadtLocalX2Apic, acpi_processor_uid) == 12);

struct [[gnu::packed]] MadtLocalX2ApicNmi {
  MadtEntryHeader h;
  uint16_t flags;
  uint32_t acpi_processor_uid;  // 0xFFFFFFFF: all processors
  uint8_t lint;
  uint8_t reserved[3];
};
static_assert(sizeof(MadtLocalX2ApicNmi) == 12);
static_assert(__builtin_offsetof(MadtLocalX2ApicNmi, flags) == 2);
static_assert(__builtin_offsetof(MadtLocalX2ApicNmi, acpi_processor_uid) == 4);
static_assert(__builtin_offsetof(MadtLocalX2ApicNmi, lint) == 8);

struct [[gnu::packed]] AcpiHpet {
  AcpiHeader header;
  uint32_t event_timer_block_id;  // the capabilities register's low half
  AcpiGas base_address;
  uint8_t hpet_number;
  uint16_t min_clock_tick;
  uint8_t page_protection;
};
static_assert(sizeof(AcpiHpet) == 56);
static_assert(__builtin_offsetof(AcpiHpet, event_timer_block_id) == 36);
static_assert(__builtin_offsetof(AcpiHpet, base_address) == 40);
static_assert(__builtin_offsetof(AcpiHpet, hpet_number) == 52);
static_assert(__builtin_offsetof(AcpiHpet, min_clock_tick) == 53);
static_assert(__builtin_offsetof(AcpiHpet, page_protection) == 55);

// The FADT up to ACPI 6.5. Older revisions are shorter (QEMU's pc machine
// has a 116-byte revision 1 FADT); fields past the table's length read as 0.
struct [[gnu::packed]] AcpiFadt {
  AcpiHeader header;
  uint32_t firmware_ctrl;
  uint32_t dsdt;
  uint8_t reserved0;
  uint8_t preferred_pm_profile;
  uint16_t sci_int;
  uint32_t smi_cmd;
  uint8_t acpi_enable;
  uint8_t acpi_disable;
  uint8_t s4bios_req;
  uint8_t pstate_cnt;
  uint32_t pm1a_evt_blk;
  uint32_t pm1b_evt_blk;
  uint32_t pm1a_cnt_blk;
  uint32_t pm1b_cnt_blk;
  uint32_t pm2_cnt_blk;
  uint32_t pm_tmr_blk;
  uint32_t gpe0_blk;
  uint32_t gpe1_blk;
  uint8_t pm1_evt_len;
  uint8_t pm1_cnt_len;
  uint8_t pm2_cnt_len;
  uint8_t pm_tmr_len;
  uint8_t gpe0_blk_len;
  uint8_t gpe1_blk_len;
  uint8_t gpe1_base;
  uint8_t cst_cnt;
  uint16_t p_lvl2_lat;
  uint16_t p_lvl3_lat;
  uint16_t flush_size;
  uint16_t flush_stride;
  uint8_t duty_offset;
  uint8_t duty_width;
  uint8_t day_alrm;
  uint8_t mon_alrm;
  uint8_t century;
  uint16_t iapc_boot_arch;
  uint8_t reserved1;
  uint32_t flags;
  AcpiGas reset_reg;
  uint8_t reset_value;
  uint16_t arm_boot_arch;
  uint8_t fadt_minor_version;
  uint64_t x_firmware_ctrl;
  uint64_t x_dsdt;
  AcpiGas x_pm1a_evt_blk;
  AcpiGas x_pm1b_evt_blk;
  AcpiGas x_pm1a_cnt_blk;
  AcpiGas x_pm1b_cnt_blk;
  AcpiGas x_pm2_cnt_blk;
  AcpiGas x_pm_tmr_blk;
  AcpiGas x_gpe0_blk;
  AcpiGas x_gpe1_blk;
  AcpiGas sleep_control_reg;
  AcpiGas sleep_status_reg;
  uint64_t hypervisor_vendor_id;
};
static_assert(sizeof(AcpiFadt) == 276);
static_assert(__builtin_offsetof(AcpiFadt, firmware_ctrl) == 36);
static_assert(__builtin_offsetof(AcpiFadt, dsdt) == 40);
static_assert(__builtin_offsetof(AcpiFadt, sci_int) == 46);
static_assert(__builtin_offsetof(AcpiFadt, smi_cmd) == 48);
static_assert(__builtin_offsetof(AcpiFadt, pm1a_evt_blk) == 56);
static_assert(__builtin_offsetof(AcpiFadt, pm1a_cnt_blk) == 64);
static_assert(__builtin_offsetof(AcpiFadt, pm1b_cnt_blk) == 68);
static_assert(__builtin_offsetof(AcpiFadt, pm_tmr_blk) == 76);
static_assert(__builtin_offsetof(AcpiFadt, pm1_cnt_len) == 89);
static_assert(__builtin_offsetof(AcpiFadt, century) == 108);
static_assert(__builtin_offsetof(AcpiFadt, iapc_boot_arch) == 109);
static_assert(__builtin_offsetof(AcpiFadt, flags) == 112);
static_assert(__builtin_offsetof(AcpiFadt, reset_reg) == 116);
static_assert(__builtin_offsetof(AcpiFadt, reset_value) == 128);
static_assert(__builtin_offsetof(AcpiFadt, arm_boot_arch) == 129);
static_assert(__builtin_offsetof(AcpiFadt, fadt_minor_version) == 131);
static_assert(__builtin_offsetof(AcpiFadt, x_firmware_ctrl) == 132);
static_assert(__builtin_offsetof(AcpiFadt, x_dsdt) == 140);
static_assert(__builtin_offsetof(AcpiFadt, x_pm1a_evt_blk) == 148);
static_assert(__builtin_offsetof(AcpiFadt, x_pm1a_cnt_blk) == 172);
static_assert(__builtin_offsetof(AcpiFadt, x_pm1b_cnt_blk) == 184);
static_assert(__builtin_offsetof(AcpiFadt, x_pm_tmr_blk) == 208);
static_assert(__builtin_offsetof(AcpiFadt, sleep_control_reg) == 244);
static_assert(__builtin_offsetof(AcpiFadt, sleep_status_reg) == 256);
static_assert(__builtin_offsetof(AcpiFadt, hypervisor_vendor_id) == 268);

inline constexpr uint32_t kFadtResetRegSupported = 1u << 10;
inline constexpr uint32_t kFadtHwReducedAcpi = 1u << 20;

// ---------------------------------------------------------------------------
// What hv takes from them.

inline constexpr size_t kMaxAcpiTables = 64;
inline constexpr size_t kMaxCpus = 256;
inline constexpr size_t kMaxIoApics = 8;
inline constexpr size_t kMaxIrqOverrides = 16;
inline constexpr size_t kMaxNmiSources = 8;
// Firmware of big machines lists one local APIC NMI entry per CPU.
inline constexpr size_t kMaxLapicNmis = kMaxCpus;

struct AcpiTableRef {
  char signature[5];  // NUL-terminated
  uint8_t revision;
  PhysAddr address;
  uint32_t length;
};

struct AcpiCpu {
  uint32_t apic_id;  // x2APIC id (an xAPIC id for type 0 entries)
  uint32_t acpi_uid;
  bool enabled;         // usable now
  bool online_capable;  // may be brought online later (hot-add)
  bool from_x2apic_entry;
};

struct AcpiIoApic {
  uint8_t id;
  PhysAddr address;
  uint32_t gsi_base;
};

struct AcpiIrqOverride {
  uint8_t bus;
  uint8_t source_irq;
  uint32_t gsi;
  uint16_t flags;  // MPS INTI flags
};

struct AcpiNmiSource {
  uint32_t gsi;
  uint16_t flags;
};

inline constexpr uint32_t kAcpiAllProcessors = 0xFFFFFFFF;

struct AcpiLapicNmi {
  uint32_t acpi_uid;  // kAcpiAllProcessors for all
  uint8_t lint;
  uint16_t flags;
};

struct MadtInfo {
  bool present;
  PhysAddr lapic_address;  // after any type 5 override
  bool pcat_compat;        // legacy 8259s present: mask them
  AcpiCpu cpus[kMaxCpus];  // enabled or online-capable only, unique APIC ids
  size_t cpu_count;
  AcpiIoApic ioapics[kMaxIoApics];
  size_t ioapic_count;
  AcpiIrqOverride overrides[kMaxIrqOverrides];
  size_t override_count;
  AcpiNmiSource nmi_sources[kMaxNmiSources];
  size_t nmi_source_count;
  AcpiLapicNmi lapic_nmis[kMaxLapicNmis];
  size_t lapic_nmi_count;
};

struct HpetInfo {
  bool present;  // and its registers are in system memory
  PhysAddr address;
  uint32_t event_timer_block_id;
  uint8_t number;
  uint16_t min_clock_tick;
  // The counter period is read from the HPET's capabilities register.
};

struct FadtInfo {
  bool present;
  bool hw_reduced;  // no PM1 blocks, no SCI, no \_S5 through PM1
  uint16_t sci_irq;
  uint16_t iapc_boot_arch;
  uint16_t pm1a_cnt_port;  // 0 if none
  uint16_t pm1b_cnt_port;  // 0 if none
  bool reset_supported;    // RESET_REG_SUP and a usable reset_reg
  AcpiGas reset_reg;
  uint8_t reset_value;
  PhysAddr dsdt;  // X_DSDT when present, else DSDT
};

// The \_S5 package's first two values: SLP_TYPa and SLP_TYPb for PM1a/PM1b.
struct SleepType {
  uint8_t slp_typ_a;
  uint8_t slp_typ_b;
};

struct AcpiInfo {
  PhysAddr rsdp;
  uint8_t rsdp_revision;
  bool used_xsdt;
  PhysAddr root_table;  // the XSDT or RSDT that was walked
  // Every table that passed its checks (the DSDT included), in root table order.
  AcpiTableRef tables[kMaxAcpiTables];
  size_t table_count;
  MadtInfo madt;
  HpetInfo hpet;
  FadtInfo fadt;
  bool has_s5;
  SleepType s5;
};

enum class [[nodiscard]] AcpiStatus : uint8_t{
    kOk,
    kNoRsdp,       // no valid RSDP at the given address nor in the BIOS areas
    kNoRootTable,  // neither the XSDT nor the RSDT is valid
};

const char* AcpiStatusName(AcpiStatus status);

// Finds and validates the RSDP: at `hint` if non-zero (from a boot loader or
// UEFI; a bad one is logged and the BIOS areas searched anyway), else in the
// first KiB of the EBDA (segment at 0x40E) and in 0xE0000-0xFFFFF, on 16-byte
// boundaries. On success *rsdp holds the copy (revision < 2: only 20 bytes
// valid, the rest zero) and *where its address.
AcpiStatus FindRsdp(const PhysReader& mem, PhysAddr hint, AcpiRsdp* rsdp, PhysAddr* where);

// Finds the RSDP as above, walks the XSDT (revision >= 2 and non-zero) or
// else the RSDT, validates every table's header and checksum, and parses the
// MADT, HPET, FADT and the DSDT's \_S5. *out is fully overwritten. Missing or
// bad tables are warnings that leave their part of *out not present; only
// the absence of any RSDP or root table fails the whole parse.
AcpiStatus ParseAcpi(const PhysReader& mem, PhysAddr rsdp_hint, AcpiInfo* out);

enum class [[nodiscard]] S5Status : uint8_t{
    kOk,
    kNotFound,   // no `Name(_S5_, Package(){...})` in the AML
    kMalformed,  // found, but its package is cut short or holds other values
};

// Scans AML bytecode (a DSDT's body) for \_S5_ the way small kernels do: a
// NameOp, an optional root prefix, "_S5_", a PackageOp, its PkgLength and
// element count, and the first two elements as integers (BytePrefix,
// WordPrefix, DWordPrefix, Zero, One or Ones). Bounded by len.
S5Status FindS5(const uint8_t* aml, size_t len, SleepType* out);

}  // namespace hv::x86
