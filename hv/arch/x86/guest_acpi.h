// SPDX-License-Identifier: Apache-2.0
// The ACPI tables hv gives a Linux guest (linux-guest-platform.md, 3.2 and
// 3.8): an RSDP (revision 2) pointing at an XSDT that lists a FADT and a
// MADT; the FADT points at a FACS and at a DSDT whose only AML is \_S5.
// Host-testable: the tables are built into a buffer that the caller copies
// to guest-physical `base`; every pointer in them is computed from `base`.
//
// Decisions (see guest_acpi.cc for the details):
// - The FADT is revision 6 (ACPI 6.5, minor 5, 276 bytes) and NOT hardware-
//   reduced: power-off is the classic PM1a_CNT write of SLP_TYP | SLP_EN with
//   \_S5 = {5, 5, 0, 0}, so hv emulates two tiny I/O blocks (PM1a_EVT, 4
//   bytes, reads 0 and ignores writes; PM1a_CNT, 2 bytes) and hv's own ACPI
//   parser and its tests understand the result. A HW-reduced FADT would also
//   need SLEEP_CONTROL/SLEEP_STATUS registers and would be ignored for \_S5
//   by hv's parser. With SMI_CMD = 0 the OS takes the machine as already in
//   ACPI mode; there is no PM timer, no GPE block and no fixed power or sleep
//   button; SCI_INT is 9 (never raised). A non-HW-reduced FADT needs a FACS,
//   which is given (64 bytes, 64-byte aligned).
// - Reset: RESET_REG_SUP with RESET_REG = I/O port 0xCF9, value 0x06 (as on
//   QEMU's q35 and real chipsets), so Linux's default `reboot` (ACPI first)
//   and its CF9 method hit the same port.
// - IAPC_BOOT_ARCH: no VGA, no CMOS RTC, no i8042 (unless asked for), so
//   Linux neither probes the i8042 nor registers rtc_cmos.
// - MADT (revision 5): one enabled entry per vCPU, APIC ID = ACPI UID = vCPU
//   index, as type 0 (local APIC) or type 9 (local x2APIC) entries; one IOAPIC
//   at 0xFEC00000 with GSI base 0; overrides IRQ0 -> GSI2 (edge, high) as on
//   PCs and IRQ9 -> GSI9 (level, high) for the SCI; flags 0 (no 8259s).
// - No HPET table: hv emulates no HPET, and the guest keeps time with kvmclock
//   and the TSC-deadline timer; advertising one would make Linux use it.
// - No RSDT: the RSDP's RsdtAddress is 0 and everything reads the XSDT, as on
//   Firecracker and cloud-hypervisor.
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "hv/arch/x86/acpi.h"

namespace hv::x86 {

// --- What hv's emulation must match. ---

inline constexpr uint16_t kGuestPm1aEvtPort = 0x600;  // PM1a_STS 0x600, PM1a_EN 0x602
inline constexpr uint8_t kGuestPm1EvtLen = 4;
inline constexpr uint16_t kGuestPm1aCntPort = 0x604;
inline constexpr uint8_t kGuestPm1CntLen = 2;
inline constexpr uint16_t kGuestResetPort = 0xCF9;
// QEMU's pvpanic (ACPI QEMU0001): bit 0 written = the guest panicked.
inline constexpr uint16_t kGuestPvpanicPort = 0x505;
inline constexpr uint8_t kGuestResetValue = 0x06;
inline constexpr uint8_t kGuestSciIrq = 9;
inline constexpr uint64_t kGuestIoApicAddress = 0xFEC00000;
inline constexpr uint64_t kGuestLapicAddress = 0xFEE00000;
inline constexpr uint64_t kGuestAcpiBase = 0xE0000;  // = kBootAcpi (hv/core/bzimage.h)

// \_S5's SLP_TYPa/SLP_TYPb.
inline constexpr uint8_t kGuestS5SlpTyp = 5;

// PM1_CNT bits (ACPI 6.5, 4.8.3.2.1).
inline constexpr uint16_t kPm1CntSciEn = 1u << 0;
inline constexpr unsigned kPm1CntSlpTypShift = 10;
inline constexpr uint16_t kPm1CntSlpTypMask = 7u << kPm1CntSlpTypShift;
inline constexpr uint16_t kPm1CntSlpEn = 1u << 13;

// Whether a guest's write of `value` to PM1a_CNT asks for S5 (power-off):
// 0x3400 from Linux, after a first write of 0x1400 without SLP_EN.
constexpr bool Pm1CntIsPowerOff(uint16_t value) {
  return (value & kPm1CntSlpEn) != 0 &&
         ((value & kPm1CntSlpTypMask) >> kPm1CntSlpTypShift) == kGuestS5SlpTyp;
}

// FADT flags (ACPI 6.5, table 5.10) and IAPC_BOOT_ARCH (table 5.11) beyond
// the ones acpi.h names.
inline constexpr uint32_t kFadtWbinvd = 1u << 0;
inline constexpr uint32_t kFadtC1Supported = 1u << 2;
inline constexpr uint32_t kFadtPowerButtonIsControlMethod = 1u << 4;
inline constexpr uint32_t kFadtSleepButtonIsControlMethod = 1u << 5;
inline constexpr uint32_t kFadtFixedRtcAbsent = 1u << 6;
inline constexpr uint16_t kIapc8042 = 1u << 1;
inline constexpr uint16_t kIapcVgaNotPresent = 1u << 2;
inline constexpr uint16_t kIapcCmosRtcNotPresent = 1u << 5;

// The Firmware ACPI Control Structure (ACPI 6.5, 5.2.10). No checksum.
struct [[gnu::packed]] AcpiFacs {
  char signature[4];  // "FACS"
  uint32_t length;    // 64
  uint32_t hardware_signature;
  uint32_t firmware_waking_vector;
  uint32_t global_lock;
  uint32_t flags;
  uint64_t x_firmware_waking_vector;
  uint8_t version;
  uint8_t reserved0[3];
  uint32_t ospm_flags;
  uint8_t reserved1[24];
};
static_assert(sizeof(AcpiFacs) == 64);
static_assert(__builtin_offsetof(AcpiFacs, hardware_signature) == 8);
static_assert(__builtin_offsetof(AcpiFacs, global_lock) == 16);
static_assert(__builtin_offsetof(AcpiFacs, x_firmware_waking_vector) == 24);
static_assert(__builtin_offsetof(AcpiFacs, version) == 32);
static_assert(__builtin_offsetof(AcpiFacs, ospm_flags) == 36);

// --- The builder. ---

enum class GuestApicEntries : uint8_t {
  kLocalApic,    // MADT type 0, 8 bytes: APIC IDs 0..254
  kLocalX2Apic,  // MADT type 9, 16 bytes: any 32-bit ID (Linux 6.1 takes them in xAPIC mode too)
};

inline constexpr uint32_t kMaxGuestAcpiXApicVcpus = 255;  // 0xFF is the xAPIC broadcast ID
inline constexpr uint32_t kMaxGuestAcpiVcpus = 1024;

struct GuestAcpiParams {
  uint32_t vcpu_count = 1;  // vCPU i: APIC ID i, ACPI processor UID i
  GuestApicEntries apic_entries = GuestApicEntries::kLocalApic;
  // [base, base + size) must be guest memory below 4 GiB (the FADT's 32-bit
  // pointers are filled too); base is 16-byte aligned (the RSDP's rule).
  uint64_t memory_bytes = 0;
  uint64_t base = kGuestAcpiBase;
  uint16_t pm1a_evt_port = kGuestPm1aEvtPort;  // 4 ports
  uint16_t pm1a_cnt_port = kGuestPm1aCntPort;  // 2 ports
  uint16_t reset_port = kGuestResetPort;       // 1 port
  uint8_t reset_value = kGuestResetValue;
  uint8_t sci_irq = kGuestSciIrq;  // ISA IRQ 1..15, not 2 (IRQ0 is routed to GSI 2)
  uint8_t ioapic_id = 0;           // what the IOAPIC's ID register reads
  bool i8042 = false;              // IAPC_BOOT_ARCH 8042 bit: hv emulates a PS/2 controller
};

enum class [[nodiscard]] GuestAcpiStatus : uint8_t{
    kOk,
    kBadParams,  // see GuestAcpiParams (the warning says which)
    kNoSpace,    // cap is too small; *used says how much is needed
};
const char* GuestAcpiStatusName(GuestAcpiStatus status);

// Builds the tables into out[0, *used) for guest-physical base: the RSDP at
// out[0] (so the guest finds it at base, through boot_params.acpi_rsdp_addr
// or the legacy scan when base is in 0xE0000-0xFFFFF). On kNoSpace nothing is
// written and *used is the size needed (out may be null, to ask for it
// without a warning); on kBadParams *used is 0. Every rejection is logged
// with HV_WARN.
GuestAcpiStatus BuildGuestAcpi(const GuestAcpiParams& params, uint8_t* out, size_t cap,
                               size_t* used);

}  // namespace hv::x86
