// SPDX-License-Identifier: Apache-2.0
#include "hv/arch/x86/guest_acpi.h"

#include <gtest/gtest.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <fstream>
#include <iterator>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "hv/arch/fake/log.h"
#include "hv/arch/x86/acpi.h"
#include "hv/arch/x86/testing/fake_phys.h"

namespace hv::x86 {
namespace {

using fake::CountLogged;
using testing::FakePhys;

constexpr uint64_t kMiB = uint64_t{1} << 20;

int Warnings(const std::string& substring = "") { return CountLogged(LogLevel::kWarn, substring); }

template <typename T>
T At(const uint8_t* p, size_t offset) {
  T v;
  memcpy(&v, p + offset, sizeof(T));
  return v;
}

uint8_t Sum(const uint8_t* p, size_t n) {
  uint8_t s = 0;
  for (size_t i = 0; i < n; ++i) s = static_cast<uint8_t>(s + p[i]);
  return s;
}

GuestAcpiParams Params(uint32_t vcpus = 4,
                       GuestApicEntries entries = GuestApicEntries::kLocalApic) {
  GuestAcpiParams p;
  p.vcpu_count = vcpus;
  p.apic_entries = entries;
  p.memory_bytes = 256 * kMiB;
  return p;
}

// The tables as the guest sees them: bytes at guest-physical base.
struct Tables {
  uint64_t base = 0;
  std::vector<uint8_t> bytes;

  const uint8_t* At(uint64_t gpa) const {
    EXPECT_GE(gpa, base);
    EXPECT_LT(gpa - base, bytes.size());
    return bytes.data() + (gpa - base);
  }
  const uint8_t* Rsdp() const { return bytes.data(); }
  uint64_t XsdtGpa() const { return x86::At<uint64_t>(Rsdp(), 24); }
  uint64_t XsdtEntry(size_t i) const { return x86::At<uint64_t>(At(XsdtGpa()), 36 + 8 * i); }
  const uint8_t* Fadt() const { return At(XsdtEntry(0)); }
  const uint8_t* Madt() const { return At(XsdtEntry(1)); }
  const uint8_t* Dsdt() const { return At(x86::At<uint64_t>(Fadt(), 140)); }
  const uint8_t* Facs() const { return At(x86::At<uint64_t>(Fadt(), 132)); }
  static uint32_t Length(const uint8_t* table) { return x86::At<uint32_t>(table, 4); }
};

class GuestAcpiTest : public ::testing::Test {
 protected:
  GuestAcpiTest() : info_(std::make_unique<AcpiInfo>()) { fake::ClearLog(); }

  static Tables Build(const GuestAcpiParams& p) {
    Tables t;
    t.base = p.base;
    size_t needed = 0;
    EXPECT_EQ(BuildGuestAcpi(p, nullptr, 0, &needed), GuestAcpiStatus::kNoSpace);
    EXPECT_GT(needed, 0u);
    t.bytes.assign(needed, 0xCC);
    size_t used = 0;
    EXPECT_EQ(BuildGuestAcpi(p, t.bytes.data(), t.bytes.size(), &used), GuestAcpiStatus::kOk);
    EXPECT_EQ(used, needed);
    EXPECT_EQ(Warnings(), 0);
    return t;
  }

  // Loads the tables at their base, with the rest of the BIOS area zero as
  // hv leaves it, and runs hv's own parser over them.
  void Parse(const Tables& t, bool by_scan = false) {
    mem_.AddZeros(PhysAddr(0), 0x1000);  // BDA: no EBDA
    mem_.AddZeros(PhysAddr(0xE0000), 0x20000);
    mem_.Add(PhysAddr(t.base), t.bytes);
    fake::ClearLog();
    ASSERT_EQ(ParseAcpi(mem_, PhysAddr(by_scan ? 0 : t.base), info_.get()), AcpiStatus::kOk);
  }

  FakePhys mem_;
  std::unique_ptr<AcpiInfo> info_;
};

TEST_F(GuestAcpiTest, HvsParserReadsWhatLinuxNeeds) {
  const Tables t = Build(Params());
  Parse(t);
  const AcpiInfo& a = *info_;
  EXPECT_EQ(a.rsdp.value(), 0xE0000u);
  EXPECT_EQ(a.rsdp_revision, 2);
  EXPECT_TRUE(a.used_xsdt);
  // XSDT, FADT, MADT and the DSDT (through the FADT).
  ASSERT_EQ(a.table_count, 4u);
  EXPECT_STREQ(a.tables[0].signature, "XSDT");
  EXPECT_STREQ(a.tables[1].signature, "FACP");
  EXPECT_STREQ(a.tables[2].signature, "APIC");
  EXPECT_STREQ(a.tables[3].signature, "DSDT");

  ASSERT_TRUE(a.madt.present);
  EXPECT_EQ(a.madt.lapic_address.value(), 0xFEE00000u);
  EXPECT_FALSE(a.madt.pcat_compat);
  ASSERT_EQ(a.madt.cpu_count, 4u);
  for (uint32_t i = 0; i < 4; ++i) {
    EXPECT_EQ(a.madt.cpus[i].apic_id, i);
    EXPECT_EQ(a.madt.cpus[i].acpi_uid, i);
    EXPECT_TRUE(a.madt.cpus[i].enabled);
    EXPECT_FALSE(a.madt.cpus[i].online_capable);
    EXPECT_FALSE(a.madt.cpus[i].from_x2apic_entry);
  }
  ASSERT_EQ(a.madt.ioapic_count, 1u);
  EXPECT_EQ(a.madt.ioapics[0].id, 0);
  EXPECT_EQ(a.madt.ioapics[0].address.value(), 0xFEC00000u);
  EXPECT_EQ(a.madt.ioapics[0].gsi_base, 0u);
  ASSERT_EQ(a.madt.override_count, 2u);
  EXPECT_EQ(a.madt.overrides[0].bus, 0);
  EXPECT_EQ(a.madt.overrides[0].source_irq, 0);
  EXPECT_EQ(a.madt.overrides[0].gsi, 2u);
  EXPECT_EQ(a.madt.overrides[0].flags, 0);
  EXPECT_EQ(a.madt.overrides[1].source_irq, 9);
  EXPECT_EQ(a.madt.overrides[1].gsi, 9u);
  EXPECT_EQ(a.madt.overrides[1].flags, 0xD);  // active high, level
  EXPECT_EQ(a.madt.nmi_source_count, 0u);
  EXPECT_EQ(a.madt.lapic_nmi_count, 0u);

  EXPECT_FALSE(a.hpet.present);
  ASSERT_TRUE(a.fadt.present);
  EXPECT_FALSE(a.fadt.hw_reduced);
  EXPECT_EQ(a.fadt.sci_irq, 9);
  EXPECT_EQ(a.fadt.pm1a_cnt_port, 0x604);
  EXPECT_EQ(a.fadt.pm1b_cnt_port, 0);
  EXPECT_EQ(a.fadt.iapc_boot_arch, kIapcVgaNotPresent | kIapcCmosRtcNotPresent);
  ASSERT_TRUE(a.fadt.reset_supported);
  EXPECT_EQ(a.fadt.reset_reg.space_id, kAcpiSpaceIo);
  EXPECT_EQ(a.fadt.reset_reg.bit_width, 8);
  EXPECT_EQ(a.fadt.reset_reg.address, 0xCF9u);
  EXPECT_EQ(a.fadt.reset_value, 0x06);
  EXPECT_EQ(a.fadt.dsdt.value(), At<uint64_t>(t.Fadt(), 140));
  EXPECT_EQ(a.tables[3].address.value(), a.fadt.dsdt.value());
  ASSERT_TRUE(a.has_s5);
  EXPECT_EQ(a.s5.slp_typ_a, kGuestS5SlpTyp);
  EXPECT_EQ(a.s5.slp_typ_b, kGuestS5SlpTyp);
  // The only complaint: no HPET, on purpose.
  EXPECT_EQ(Warnings(), 1);
  EXPECT_EQ(Warnings("no HPET table"), 1);
  EXPECT_EQ(CountLogged(LogLevel::kError), 0);
}

TEST_F(GuestAcpiTest, FoundByTheLegacyScan) {
  Parse(Build(Params(1)), /*by_scan=*/true);
  EXPECT_EQ(info_->rsdp.value(), 0xE0000u);
  EXPECT_EQ(info_->madt.cpu_count, 1u);
  EXPECT_TRUE(info_->has_s5);
}

TEST_F(GuestAcpiTest, X2ApicEntries) {
  Parse(Build(Params(64, GuestApicEntries::kLocalX2Apic)));
  ASSERT_EQ(info_->madt.cpu_count, 64u);
  for (uint32_t i = 0; i < 64; ++i) {
    EXPECT_EQ(info_->madt.cpus[i].apic_id, i);
    EXPECT_EQ(info_->madt.cpus[i].acpi_uid, i);
    EXPECT_TRUE(info_->madt.cpus[i].enabled);
    EXPECT_TRUE(info_->madt.cpus[i].from_x2apic_entry);
  }
  EXPECT_EQ(info_->madt.ioapic_count, 1u);
  EXPECT_EQ(Warnings(), 1);  // no HPET
}

// Walks the MADT's entries by hand (hv's parser keeps at most 256 CPUs).
struct MadtCount {
  uint32_t lapic = 0, x2apic = 0, ioapic = 0, overrides = 0, other = 0;
  bool ids_in_order = true;
};

MadtCount CountMadt(const uint8_t* madt) {
  MadtCount c;
  const uint32_t length = Tables::Length(madt);
  uint32_t next_id = 0;
  for (size_t off = sizeof(AcpiMadt); off < length;) {
    const uint8_t type = madt[off], len = madt[off + 1];
    EXPECT_GE(len, 2);
    if (type == kMadtLocalApic) {
      ++c.lapic;
      c.ids_in_order &= madt[off + 3] == next_id++;
      EXPECT_EQ(At<uint32_t>(madt, off + 4), kMadtCpuEnabled);
    } else if (type == kMadtLocalX2Apic) {
      ++c.x2apic;
      c.ids_in_order &= At<uint32_t>(madt, off + 4) == next_id++;
      EXPECT_EQ(At<uint32_t>(madt, off + 8), kMadtCpuEnabled);
    } else if (type == kMadtIoApic) {
      ++c.ioapic;
    } else if (type == kMadtIrqOverride) {
      ++c.overrides;
    } else {
      ++c.other;
    }
    off += len;
  }
  return c;
}

TEST_F(GuestAcpiTest, VcpuCountLimits) {
  // xAPIC IDs 0..254.
  Tables t = Build(Params(255));
  MadtCount c = CountMadt(t.Madt());
  EXPECT_EQ(c.lapic, 255u);
  EXPECT_TRUE(c.ids_in_order);
  EXPECT_EQ(c.ioapic, 1u);
  EXPECT_EQ(c.overrides, 2u);
  EXPECT_EQ(c.x2apic + c.other, 0u);
  size_t used = 1;
  EXPECT_EQ(BuildGuestAcpi(Params(256), nullptr, 0, &used), GuestAcpiStatus::kBadParams);
  EXPECT_EQ(used, 0u);
  EXPECT_EQ(Warnings("256 vCPUs, expected 1..255 with local APIC entries"), 1);
  // x2APIC: up to 1024.
  fake::ClearLog();
  t = Build(Params(kMaxGuestAcpiVcpus, GuestApicEntries::kLocalX2Apic));
  c = CountMadt(t.Madt());
  EXPECT_EQ(c.x2apic, kMaxGuestAcpiVcpus);
  EXPECT_TRUE(c.ids_in_order);
  EXPECT_LE(t.bytes.size(), 0x20000u);  // fits the 128 KiB BIOS area from 0xE0000
  EXPECT_EQ(BuildGuestAcpi(Params(1025, GuestApicEntries::kLocalX2Apic), nullptr, 0, &used),
            GuestAcpiStatus::kBadParams);
  EXPECT_EQ(BuildGuestAcpi(Params(0), nullptr, 0, &used), GuestAcpiStatus::kBadParams);
}

TEST_F(GuestAcpiTest, ChecksumsAndPlacement) {
  for (uint64_t base :
       {uint64_t{0xE0000}, uint64_t{0x9FC00}, uint64_t{0xE0010}, uint64_t{0x1230}}) {
    GuestAcpiParams p = Params(3, GuestApicEntries::kLocalX2Apic);
    p.base = base;
    const Tables t = Build(p);
    const uint8_t* rsdp = t.Rsdp();
    EXPECT_EQ(memcmp(rsdp, "RSD PTR ", 8), 0);
    EXPECT_EQ(Sum(rsdp, 20), 0) << base;
    EXPECT_EQ(Sum(rsdp, 36), 0) << base;
    EXPECT_EQ(rsdp[15], 2);
    EXPECT_EQ(At<uint32_t>(rsdp, 16), 0u);  // no RSDT
    EXPECT_EQ(At<uint32_t>(rsdp, 20), 36u);
    const uint8_t* xsdt = t.At(t.XsdtGpa());
    EXPECT_EQ(Tables::Length(xsdt), 36u + 16u);
    for (const uint8_t* table : {xsdt, t.Fadt(), t.Madt(), t.Dsdt()}) {
      EXPECT_EQ(Sum(table, Tables::Length(table)), 0) << base;
      EXPECT_EQ((table - t.bytes.data() + base) % 16, 0u) << base;
      EXPECT_LE(table - t.bytes.data() + Tables::Length(table), t.bytes.size());
      EXPECT_EQ(memcmp(table + 10, "HV    HVGUEST ", 14), 0);
    }
    // The FACS: 64-byte aligned in guest memory, 64 bytes, no checksum.
    const uint8_t* facs = t.Facs();
    EXPECT_EQ((facs - t.bytes.data() + base) % 64, 0u) << base;
    EXPECT_EQ(memcmp(facs, "FACS", 4), 0);
    EXPECT_EQ(At<uint32_t>(facs, 4), 64u);
    EXPECT_EQ(facs[32], 2);  // version
    // Every byte belongs to a table or is zero padding (no 0xCC left).
    for (uint8_t b : t.bytes) ASSERT_NE(b, 0xCC);
  }
}

TEST_F(GuestAcpiTest, FadtFields) {
  const Tables t = Build(Params());
  AcpiFadt f;
  memcpy(&f, t.Fadt(), sizeof(f));
  EXPECT_EQ(f.header.length, 276u);
  EXPECT_EQ(f.header.revision, 6);
  EXPECT_EQ(f.fadt_minor_version, 5);
  EXPECT_EQ(f.flags, kFadtWbinvd | kFadtC1Supported | kFadtPowerButtonIsControlMethod |
                         kFadtSleepButtonIsControlMethod | kFadtFixedRtcAbsent |
                         kFadtResetRegSupported);
  EXPECT_EQ(f.flags & kFadtHwReducedAcpi, 0u);
  EXPECT_EQ(f.smi_cmd, 0u);
  EXPECT_EQ(f.acpi_enable, 0);
  EXPECT_EQ(f.sci_int, 9);
  // FACS and DSDT: 32- and 64-bit pointers agree.
  EXPECT_NE(f.firmware_ctrl, 0u);
  EXPECT_EQ(f.x_firmware_ctrl, f.firmware_ctrl);
  EXPECT_NE(f.dsdt, 0u);
  EXPECT_EQ(f.x_dsdt, f.dsdt);
  // PM1a event and control blocks, legacy and X_ forms alike.
  EXPECT_EQ(f.pm1a_evt_blk, 0x600u);
  EXPECT_EQ(f.pm1_evt_len, 4);
  EXPECT_EQ(f.x_pm1a_evt_blk.space_id, kAcpiSpaceIo);
  EXPECT_EQ(f.x_pm1a_evt_blk.bit_width, 32);
  EXPECT_EQ(f.x_pm1a_evt_blk.address, 0x600u);
  EXPECT_EQ(f.pm1a_cnt_blk, 0x604u);
  EXPECT_EQ(f.pm1_cnt_len, 2);
  EXPECT_EQ(f.x_pm1a_cnt_blk.space_id, kAcpiSpaceIo);
  EXPECT_EQ(f.x_pm1a_cnt_blk.bit_width, 16);
  EXPECT_EQ(f.x_pm1a_cnt_blk.address, 0x604u);
  // Nothing else: no PM1b, PM2, PM timer, GPE, sleep registers.
  EXPECT_EQ(
      f.pm1b_evt_blk | f.pm1b_cnt_blk | f.pm2_cnt_blk | f.pm_tmr_blk | f.gpe0_blk | f.gpe1_blk, 0u);
  EXPECT_EQ(f.pm_tmr_len | f.gpe0_blk_len | f.gpe1_blk_len | f.pm2_cnt_len, 0);
  EXPECT_EQ(f.x_pm_tmr_blk.address | f.x_gpe0_blk.address | f.x_pm1b_cnt_blk.address |
                f.sleep_control_reg.address | f.sleep_status_reg.address,
            0u);
  EXPECT_GT(f.p_lvl2_lat, 100);
  EXPECT_GT(f.p_lvl3_lat, 1000);
  EXPECT_EQ(f.reset_reg.space_id, kAcpiSpaceIo);
  EXPECT_EQ(f.reset_reg.bit_width, 8);
  EXPECT_EQ(f.reset_reg.bit_offset, 0);
  EXPECT_EQ(f.reset_reg.access_size, 1);
  EXPECT_EQ(f.reset_reg.address, 0xCF9u);
  EXPECT_EQ(f.reset_value, 6);
}

TEST_F(GuestAcpiTest, DsdtHoldsS5AndPvpanic) {
  const Tables t = Build(Params());
  const uint8_t* dsdt = t.Dsdt();
  const uint32_t length = Tables::Length(dsdt);
  const std::vector<uint8_t> aml(dsdt + 36, dsdt + length);
  const std::vector<uint8_t> s5_aml = {0x08, '_',  'S',  '5',  '_',  0x12, 0x08,
                                   0x04, 0x0A, 0x05, 0x0A, 0x05, 0x00, 0x00};
  ASSERT_GE(aml.size(), s5_aml.size());
  EXPECT_EQ(std::vector<uint8_t>(aml.begin(), aml.begin() + s5_aml.size()), s5_aml);
  // Then \_SB.PEVT, QEMU's pvpanic: its _HID and its I/O port 0x505.
  const std::string rest(aml.begin() + s5_aml.size(), aml.end());
  EXPECT_NE(rest.find("QEMU0001"), std::string::npos);
  EXPECT_NE(rest.find(std::string("\x47\x01\x05\x05\x05\x05\x01\x01", 8)), std::string::npos);
  EXPECT_EQ(aml.size(), s5_aml.size() + 47);  // the scope, whole
  SleepType s5{};
  ASSERT_EQ(FindS5(aml.data(), aml.size(), &s5), S5Status::kOk);
  EXPECT_EQ(s5.slp_typ_a, 5);
  EXPECT_EQ(s5.slp_typ_b, 5);
  EXPECT_EQ(dsdt[8], 2);  // revision 2: 64-bit integers
}

TEST_F(GuestAcpiTest, PowerOffWrite) {
  // What ACPICA writes for S5: SLP_TYP first, then SLP_TYP | SLP_EN.
  constexpr uint16_t kFirst = kGuestS5SlpTyp << kPm1CntSlpTypShift;
  static_assert(kFirst == 0x1400);
  static_assert(!Pm1CntIsPowerOff(kFirst));
  static_assert(Pm1CntIsPowerOff(kFirst | kPm1CntSlpEn));
  static_assert(Pm1CntIsPowerOff(0x3400 | kPm1CntSciEn));
  static_assert(!Pm1CntIsPowerOff(kPm1CntSlpEn));  // SLP_TYP 0 (S0)
  static_assert(!Pm1CntIsPowerOff((3 << kPm1CntSlpTypShift) | kPm1CntSlpEn));
  static_assert(!Pm1CntIsPowerOff(0));
  SUCCEED();
}

TEST_F(GuestAcpiTest, CustomPortsAndIds) {
  GuestAcpiParams p = Params(2);
  p.pm1a_evt_port = 0xB000;
  p.pm1a_cnt_port = 0xB004;
  p.reset_port = 0x600;
  p.reset_value = 0x01;
  p.sci_irq = 5;
  p.ioapic_id = 2;
  p.i8042 = true;
  Parse(Build(p));
  EXPECT_EQ(info_->fadt.pm1a_cnt_port, 0xB004);
  EXPECT_EQ(info_->fadt.sci_irq, 5);
  EXPECT_EQ(info_->fadt.reset_reg.address, 0x600u);
  EXPECT_EQ(info_->fadt.reset_value, 0x01);
  EXPECT_EQ(info_->fadt.iapc_boot_arch, kIapc8042 | kIapcVgaNotPresent | kIapcCmosRtcNotPresent);
  EXPECT_EQ(info_->madt.ioapics[0].id, 2);
  ASSERT_EQ(info_->madt.override_count, 2u);
  EXPECT_EQ(info_->madt.overrides[1].source_irq, 5);
  EXPECT_EQ(info_->madt.overrides[1].gsi, 5u);
}

TEST_F(GuestAcpiTest, BadParams) {
  struct Case {
    const char* warning;
    void (*edit)(GuestAcpiParams*);
  };
  const Case cases[] = {
      {"base 0x0", [](GuestAcpiParams* p) { p->base = 0; }},
      {"base 0xe0008", [](GuestAcpiParams* p) { p->base = 0xE0008; }},
      {"base 0x100000000", [](GuestAcpiParams* p) { p->base = uint64_t{1} << 32; }},
      {"base 0xfffffffffffffff0", [](GuestAcpiParams* p) { p->base = ~uint64_t{0xF}; }},
      {"not inside guest memory below 4 GiB",
       [](GuestAcpiParams* p) {
         p->base = 0xFFFFFF00;
         p->memory_bytes = uint64_t{8} << 30;
       }},
      {"not inside guest memory below 4 GiB",
       [](GuestAcpiParams* p) { p->memory_bytes = 0xE0100; }},
      {"not inside guest memory below 4 GiB", [](GuestAcpiParams* p) { p->memory_bytes = 0; }},
      {"zero or past 0xffff", [](GuestAcpiParams* p) { p->pm1a_evt_port = 0; }},
      {"zero or past 0xffff", [](GuestAcpiParams* p) { p->pm1a_cnt_port = 0; }},
      {"zero or past 0xffff", [](GuestAcpiParams* p) { p->reset_port = 0; }},
      {"zero or past 0xffff", [](GuestAcpiParams* p) { p->pm1a_evt_port = 0xFFFD; }},
      {"zero or past 0xffff", [](GuestAcpiParams* p) { p->pm1a_cnt_port = 0xFFFF; }},
      {"overlap", [](GuestAcpiParams* p) { p->pm1a_cnt_port = 0x602; }},
      {"overlap", [](GuestAcpiParams* p) { p->reset_port = 0x603; }},
      {"overlap", [](GuestAcpiParams* p) { p->reset_port = 0x605; }},
      {"overlap", [](GuestAcpiParams* p) { p->pm1a_evt_port = 0x603; }},
      {"SCI IRQ 0", [](GuestAcpiParams* p) { p->sci_irq = 0; }},
      {"SCI IRQ 2", [](GuestAcpiParams* p) { p->sci_irq = 2; }},
      {"SCI IRQ 16", [](GuestAcpiParams* p) { p->sci_irq = 16; }},
      {"0 vCPUs", [](GuestAcpiParams* p) { p->vcpu_count = 0; }},
  };
  for (const Case& c : cases) {
    GuestAcpiParams p = Params();
    c.edit(&p);
    fake::ClearLog();
    std::vector<uint8_t> out(0x10000, 0xAB);
    size_t used = 123;
    EXPECT_EQ(BuildGuestAcpi(p, out.data(), out.size(), &used), GuestAcpiStatus::kBadParams)
        << c.warning;
    EXPECT_EQ(used, 0u) << c.warning;
    EXPECT_EQ(Warnings(), 1) << c.warning;
    EXPECT_EQ(Warnings(c.warning), 1) << c.warning;
    for (uint8_t b : out) ASSERT_EQ(b, 0xAB) << c.warning;
  }
  // Just fits: the tables end exactly at the top of guest memory.
  GuestAcpiParams p = Params();
  size_t needed = 0;
  ASSERT_EQ(BuildGuestAcpi(p, nullptr, 0, &needed), GuestAcpiStatus::kNoSpace);
  p.memory_bytes = p.base + needed;
  std::vector<uint8_t> out(needed);
  size_t used = 0;
  EXPECT_EQ(BuildGuestAcpi(p, out.data(), out.size(), &used), GuestAcpiStatus::kOk);
  p.memory_bytes -= 1;
  EXPECT_EQ(BuildGuestAcpi(p, out.data(), out.size(), &used), GuestAcpiStatus::kBadParams);
}

TEST_F(GuestAcpiTest, NoSpace) {
  const GuestAcpiParams p = Params();
  size_t needed = 0;
  ASSERT_EQ(BuildGuestAcpi(p, nullptr, 0, &needed), GuestAcpiStatus::kNoSpace);
  EXPECT_EQ(Warnings(), 0);  // a size query
  std::vector<uint8_t> out(needed - 1, 0xAB);
  size_t used = 0;
  EXPECT_EQ(BuildGuestAcpi(p, out.data(), out.size(), &used), GuestAcpiStatus::kNoSpace);
  EXPECT_EQ(used, needed);
  EXPECT_EQ(Warnings("tables need"), 1);
  for (uint8_t b : out) ASSERT_EQ(b, 0xAB);
  EXPECT_STREQ(GuestAcpiStatusName(GuestAcpiStatus::kNoSpace), "buffer too small");
}

// --- Optional: ACPICA's own disassembler (acpica-tools) agrees. ---

constexpr char kIasl[] = "/usr/bin/iasl";

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

void WriteFile(const std::string& path, const uint8_t* p, size_t n) {
  std::ofstream out(path, std::ios::binary);
  out.write(reinterpret_cast<const char*>(p), static_cast<std::streamsize>(n));
}

// Disassembles one table with `iasl -d`, checks the listing for complaints,
// compiles the listing back and compares it with the original (iasl puts its
// own compiler ID and revision in, so those and the checksum are skipped).
void CheckWithIasl(const std::string& dir, const std::string& name, const uint8_t* table,
                   size_t length, bool has_header) {
  SCOPED_TRACE(name);
  const std::string base = dir + "/" + name;
  WriteFile(base + ".dat", table, length);
  const std::string disasm =
      "cd '" + dir + "' && " + kIasl + " -d " + name + ".dat > " + name + ".dis.log 2>&1";
  ASSERT_EQ(system(disasm.c_str()), 0) << ReadFile(base + ".dis.log");
  const std::string dsl = ReadFile(base + ".dsl");
  ASSERT_FALSE(dsl.empty()) << ReadFile(base + ".dis.log");
  for (const char* bad : {"Error", "Warning", "Invalid", "**** ", "Unknown", "mismatch"}) {
    EXPECT_EQ(dsl.find(bad), std::string::npos) << bad << "\n" << dsl;
  }
  const std::string compile = "cd '" + dir + "' && " + kIasl + " -p " + name + "_re " + name +
                              ".dsl > " + name + "_re.log 2>&1";
  ASSERT_EQ(system(compile.c_str()), 0) << ReadFile(base + "_re.log");
  const std::string log = ReadFile(base + "_re.log");
  EXPECT_NE(log.find("0 Errors, 0 Warnings"), std::string::npos) << log;
  const std::string again = ReadFile(base + "_re.aml");
  ASSERT_EQ(again.size(), length) << dsl;
  for (size_t i = 0; i < length; ++i) {
    const bool iasl_owned = has_header && (i == 9 || (i >= 28 && i < 36));
    if (!iasl_owned) {
      EXPECT_EQ(static_cast<uint8_t>(again[i]), table[i]) << "offset " << i << "\n" << dsl;
    }
  }
}

TEST_F(GuestAcpiTest, IaslAcceptsEveryTable) {
  if (access(kIasl, X_OK) != 0) GTEST_SKIP() << kIasl << " not installed (acpica-tools)";
  const char* tmp = getenv("TEST_TMPDIR");
  ASSERT_NE(tmp, nullptr);
  for (GuestApicEntries entries : {GuestApicEntries::kLocalApic, GuestApicEntries::kLocalX2Apic}) {
    const Tables t = Build(Params(4, entries));
    const std::string dir =
        std::string(tmp) +
        (entries == GuestApicEntries::kLocalApic ? "/iasl-lapic" : "/iasl-x2apic");
    ASSERT_EQ(system(("mkdir -p '" + dir + "'").c_str()), 0);
    const uint8_t* xsdt = t.At(t.XsdtGpa());
    CheckWithIasl(dir, "XSDT", xsdt, Tables::Length(xsdt), true);
    CheckWithIasl(dir, "FACP", t.Fadt(), Tables::Length(t.Fadt()), true);
    CheckWithIasl(dir, "APIC", t.Madt(), Tables::Length(t.Madt()), true);
    CheckWithIasl(dir, "DSDT", t.Dsdt(), Tables::Length(t.Dsdt()), true);
    CheckWithIasl(dir, "FACS", t.Facs(), 64, false);
  }
}

// ACPICA's interpreter (acpiexec, from acpica-tools) loads the tables with
// the same table code Linux runs (tbfadt.c: 32/64-bit address and length
// checks, FACS and DSDT lookup) and evaluates \_S5_.
constexpr char kAcpiexec[] = "/usr/bin/acpiexec";

std::string RunAcpiexec(const std::string& dir, const std::string& fadt_file) {
  const std::string cmd = "cd '" + dir + "' && " + kAcpiexec + " -b 'evaluate \\_S5_' " +
                          fadt_file + " APIC.dat DSDT.dat FACS.dat 2>&1";
  std::string out;
  FILE* pipe = popen(cmd.c_str(), "r");
  if (pipe == nullptr) return out;
  char buf[4096];
  size_t n;
  while ((n = fread(buf, 1, sizeof(buf), pipe)) > 0) out.append(buf, n);
  EXPECT_EQ(pclose(pipe), 0) << out;
  return out;
}

// Lines that complain, leaving out acpiexec's own self-tests (aetests.c),
// which poke at GPEs and PM2 registers that no minimal platform has.
std::vector<std::string> Complaints(const std::string& out) {
  std::vector<std::string> lines;
  std::istringstream in(out);
  std::string line;
  while (std::getline(in, line)) {
    if (line.find("aetests-") != std::string::npos) continue;
    for (const char* bad : {"Warning", "Error", "error", "mismatch", "Invalid", "Unknown"}) {
      if (line.find(bad) != std::string::npos) {
        lines.push_back(line);
        break;
      }
    }
  }
  return lines;
}

TEST_F(GuestAcpiTest, AcpicaLoadsTheTablesAndEvaluatesS5) {
  if (access(kAcpiexec, X_OK) != 0) GTEST_SKIP() << kAcpiexec << " not installed (acpica-tools)";
  const char* tmp = getenv("TEST_TMPDIR");
  ASSERT_NE(tmp, nullptr);
  const std::string dir = std::string(tmp) + "/acpiexec";
  ASSERT_EQ(system(("mkdir -p '" + dir + "'").c_str()), 0);
  const Tables t = Build(Params(4, GuestApicEntries::kLocalX2Apic));
  WriteFile(dir + "/FACP.dat", t.Fadt(), Tables::Length(t.Fadt()));
  WriteFile(dir + "/APIC.dat", t.Madt(), Tables::Length(t.Madt()));
  WriteFile(dir + "/DSDT.dat", t.Dsdt(), Tables::Length(t.Dsdt()));
  WriteFile(dir + "/FACS.dat", t.Facs(), 64);
  const std::string out = RunAcpiexec(dir, "FACP.dat");
  EXPECT_TRUE(Complaints(out).empty()) << out;
  EXPECT_NE(out.find("FACP 0x"), std::string::npos) << out;
  EXPECT_NE(out.find("(v06 HV     HVGUEST  00000001 HV   00000001)"), std::string::npos) << out;
  EXPECT_NE(out.find("[Package] Contains 4 Elements:\n"
                     "    [Integer] = 0000000000000005\n"
                     "    [Integer] = 0000000000000005\n"
                     "    [Integer] = 0000000000000000\n"
                     "    [Integer] = 0000000000000000"),
            std::string::npos)
      << out;

  // The check has teeth: a FADT whose 32-bit PM1a_CNT_BLK disagrees with its
  // X_ form is reported.
  std::vector<uint8_t> bad(t.Fadt(), t.Fadt() + Tables::Length(t.Fadt()));
  const uint32_t other = 0x608;
  memcpy(bad.data() + 64, &other, sizeof(other));
  bad[9] = 0;
  bad[9] = static_cast<uint8_t>(-Sum(bad.data(), bad.size()));
  WriteFile(dir + "/BAD.dat", bad.data(), bad.size());
  const std::vector<std::string> complaints = Complaints(RunAcpiexec(dir, "BAD.dat"));
  ASSERT_EQ(complaints.size(), 1u);
  EXPECT_NE(complaints[0].find("32/64X address mismatch in FADT/Pm1aControlBlock"),
            std::string::npos)
      << complaints[0];
}

}  // namespace
}  // namespace hv::x86
