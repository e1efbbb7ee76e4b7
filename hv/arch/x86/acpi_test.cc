// SPDX-License-Identifier: Apache-2.0
#include "hv/arch/x86/acpi.h"

#include <gtest/gtest.h>
#include <stdlib.h>
#include <string.h>

#include <fstream>
#include <iterator>
#include <map>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "hv/arch/fake/log.h"
#include "hv/arch/x86/testing/fake_phys.h"

namespace hv::x86 {
namespace {

using fake::CountLogged;
using testing::FakePhys;

int Warnings(const std::string& substring = "") { return CountLogged(LogLevel::kWarn, substring); }
int Errors(const std::string& substring = "") { return CountLogged(LogLevel::kError, substring); }

// ---------------------------------------------------------------------------
// Fixtures captured from QEMU (testdata/capture.sh), loaded at their original
// physical addresses.

struct Blob {
  uint64_t address;
  uint64_t length;
};

std::string TestdataPath(const std::string& rel) {
  const char* srcdir = getenv("TEST_SRCDIR");
  const char* workspace = getenv("TEST_WORKSPACE");
  return std::string(srcdir != nullptr ? srcdir : ".") + "/" +
         (workspace != nullptr ? workspace : "hv") + "/hv/arch/x86/testdata/" + rel;
}

// Loads every blob of the fixture, plus zeroed BIOS areas around them as on
// the real machine, so that the RSDP is found by scanning. Returns the
// manifest by name.
std::map<std::string, Blob> LoadQemuFixture(FakePhys* mem, const std::string& name) {
  std::map<std::string, Blob> blobs;
  std::ifstream manifest(TestdataPath(name + "/manifest.txt"));
  EXPECT_TRUE(manifest.good()) << TestdataPath(name + "/manifest.txt");
  mem->AddZeros(PhysAddr(0x0), 0x1000);     // IVT and BIOS data area
  mem->AddZeros(PhysAddr(0x9fc00), 0x400);  // EBDA
  mem->AddZeros(PhysAddr(0xe0000), 0x20000);
  std::string line;
  while (std::getline(manifest, line)) {
    if (line.empty() || line[0] == '#') continue;
    std::istringstream in(line);
    std::string blob, address;
    uint64_t length = 0;
    in >> blob >> address >> length;
    const uint64_t pa = std::stoull(address, nullptr, 16);
    EXPECT_TRUE(mem->AddFile(PhysAddr(pa), TestdataPath(name + "/" + blob + ".bin"))) << blob;
    blobs[blob] = {pa, length};
  }
  return blobs;
}

void FixChecksum(uint8_t* table, size_t length, size_t checksum_offset = 9) {
  table[checksum_offset] = 0;
  uint8_t sum = 0;
  for (size_t i = 0; i < length; ++i) sum = static_cast<uint8_t>(sum + table[i]);
  table[checksum_offset] = static_cast<uint8_t>(-sum);
}

class QemuAcpiTest : public ::testing::Test {
 protected:
  QemuAcpiTest() : info_(std::make_unique<AcpiInfo>()) { fake::ClearLog(); }

  void Load(const std::string& name) { blobs_ = LoadQemuFixture(&mem_, name); }
  AcpiStatus Parse(PhysAddr hint = PhysAddr(0)) { return ParseAcpi(mem_, hint, info_.get()); }
  // A fixture table, writable, with its length.
  uint8_t* Table(const std::string& name) {
    const Blob& b = blobs_.at(name);
    return mem_.Mutable(PhysAddr(b.address), b.length);
  }

  FakePhys mem_;
  std::map<std::string, Blob> blobs_;
  std::unique_ptr<AcpiInfo> info_;
};

void ExpectQemuPcCommon(const AcpiInfo& info) {
  EXPECT_EQ(info.rsdp_revision, 0);
  EXPECT_FALSE(info.used_xsdt);
  EXPECT_TRUE(info.madt.present);
  EXPECT_EQ(info.madt.lapic_address.value(), 0xfee00000u);
  EXPECT_TRUE(info.madt.pcat_compat);
  ASSERT_EQ(info.madt.ioapic_count, 1u);
  EXPECT_EQ(info.madt.ioapics[0].id, 0);
  EXPECT_EQ(info.madt.ioapics[0].address.value(), 0xfec00000u);
  EXPECT_EQ(info.madt.ioapics[0].gsi_base, 0u);
  // ISA IRQ 0 goes to GSI 2; the PCI link IRQs are level, active high.
  ASSERT_EQ(info.madt.override_count, 5u);
  EXPECT_EQ(info.madt.overrides[0].source_irq, 0);
  EXPECT_EQ(info.madt.overrides[0].gsi, 2u);
  EXPECT_EQ(info.madt.overrides[0].flags, 0);
  const uint8_t pci_irqs[] = {5, 9, 10, 11};
  for (size_t i = 0; i < 4; ++i) {
    EXPECT_EQ(info.madt.overrides[i + 1].source_irq, pci_irqs[i]);
    EXPECT_EQ(info.madt.overrides[i + 1].gsi, pci_irqs[i]);
    EXPECT_EQ(info.madt.overrides[i + 1].flags, 0xd);
  }
  ASSERT_EQ(info.madt.lapic_nmi_count, 1u);
  EXPECT_EQ(info.madt.lapic_nmis[0].acpi_uid, kAcpiAllProcessors);
  EXPECT_EQ(info.madt.lapic_nmis[0].lint, 1);
  EXPECT_EQ(info.madt.nmi_source_count, 0u);

  EXPECT_TRUE(info.hpet.present);
  EXPECT_EQ(info.hpet.address.value(), 0xfed00000u);
  EXPECT_EQ(info.hpet.event_timer_block_id, 0x8086a201u);

  EXPECT_TRUE(info.fadt.present);
  EXPECT_FALSE(info.fadt.hw_reduced);
  EXPECT_EQ(info.fadt.sci_irq, 9);
  EXPECT_EQ(info.fadt.pm1a_cnt_port, 0x604);  // PIIX4 / ICH9 PM base 0x600 + 4
  EXPECT_EQ(info.fadt.pm1b_cnt_port, 0);
  EXPECT_EQ(info.fadt.dsdt.value(), 0x1ffe0040u);
  EXPECT_TRUE(info.has_s5);
  EXPECT_EQ(info.s5.slp_typ_a, 0);  // QEMU: Name (_S5, Package (0x04) {Zero, Zero, Zero, Zero})
  EXPECT_EQ(info.s5.slp_typ_b, 0);
}

TEST_F(QemuAcpiTest, PcSmp1) {
  Load("qemu-pc-smp1");
  ASSERT_EQ(Parse(), AcpiStatus::kOk);
  EXPECT_EQ(info_->rsdp.value(), blobs_["rsdp"].address);
  EXPECT_EQ(info_->root_table.value(), blobs_["RSDT"].address);
  ExpectQemuPcCommon(*info_);
  ASSERT_EQ(info_->madt.cpu_count, 1u);
  EXPECT_EQ(info_->madt.cpus[0].apic_id, 0u);
  EXPECT_TRUE(info_->madt.cpus[0].enabled);
  // QEMU pc's FADT is revision 1 (116 bytes): no reset register. hv falls
  // back to port 0xCF9 / the keyboard controller itself.
  EXPECT_FALSE(info_->fadt.reset_supported);
  // RSDT, FACP, APIC, HPET, WAET and the DSDT.
  ASSERT_EQ(info_->table_count, 6u);
  EXPECT_STREQ(info_->tables[0].signature, "RSDT");
  EXPECT_STREQ(info_->tables[5].signature, "DSDT");
  EXPECT_EQ(info_->tables[5].length, blobs_["DSDT"].length);
  EXPECT_EQ(Warnings(), 0);
  EXPECT_EQ(Errors(), 0);
}

TEST_F(QemuAcpiTest, PcSmp4) {
  Load("qemu-pc-smp4");
  ASSERT_EQ(Parse(), AcpiStatus::kOk);
  ExpectQemuPcCommon(*info_);
  ASSERT_EQ(info_->madt.cpu_count, 4u);
  for (uint32_t i = 0; i < 4; ++i) {
    EXPECT_EQ(info_->madt.cpus[i].apic_id, i);
    EXPECT_EQ(info_->madt.cpus[i].acpi_uid, i);
    EXPECT_TRUE(info_->madt.cpus[i].enabled);
    EXPECT_FALSE(info_->madt.cpus[i].from_x2apic_entry);
  }
  EXPECT_EQ(Warnings(), 0);
}

TEST_F(QemuAcpiTest, Q35Smp2HasResetRegister) {
  Load("qemu-q35-smp2");
  ASSERT_EQ(Parse(), AcpiStatus::kOk);
  ASSERT_EQ(info_->madt.cpu_count, 2u);
  EXPECT_EQ(info_->madt.ioapics[0].address.value(), 0xfec00000u);
  EXPECT_EQ(info_->hpet.address.value(), 0xfed00000u);
  EXPECT_EQ(info_->fadt.pm1a_cnt_port, 0x604);  // from X_PM1a_CNT_BLK
  ASSERT_TRUE(info_->fadt.reset_supported);
  EXPECT_EQ(info_->fadt.reset_reg.space_id, kAcpiSpaceIo);
  EXPECT_EQ(info_->fadt.reset_reg.address, 0xcf9u);
  EXPECT_EQ(info_->fadt.reset_value, 0x0f);
  EXPECT_TRUE(info_->has_s5);
  bool mcfg = false;
  for (size_t i = 0; i < info_->table_count; ++i) {
    mcfg |= strcmp(info_->tables[i].signature, "MCFG") == 0;
  }
  EXPECT_TRUE(mcfg);
  EXPECT_EQ(Warnings(), 0);
}

TEST_F(QemuAcpiTest, ExplicitRsdpAddress) {
  Load("qemu-pc-smp4");
  const PhysAddr rsdp(blobs_["rsdp"].address);
  ASSERT_EQ(Parse(rsdp), AcpiStatus::kOk);
  EXPECT_EQ(info_->rsdp, rsdp);
  EXPECT_EQ(Warnings(), 0);
  // A wrong hint is reported, and the scan finds the real one.
  ASSERT_EQ(Parse(PhysAddr(0xe0000)), AcpiStatus::kOk);
  EXPECT_EQ(info_->rsdp, rsdp);
  EXPECT_EQ(info_->madt.cpu_count, 4u);
  EXPECT_EQ(Warnings("no RSDP signature at 0xe0000"), 1);
  EXPECT_EQ(Warnings("not valid"), 1);
}

TEST_F(QemuAcpiTest, RsdpInEbdaIsFoundFirst) {
  Load("qemu-pc-smp1");
  // A copy of the RSDP at the start of the EBDA (segment 0x9fc0 at 0x40E).
  const Blob& b = blobs_["rsdp"];
  const std::vector<uint8_t> copy(Table("rsdp"), Table("rsdp") + b.length);
  mem_.Add(PhysAddr(0x9fc00 + 0x40), copy);
  ASSERT_EQ(Parse(), AcpiStatus::kOk);
  EXPECT_EQ(info_->rsdp.value(), 0x9fc40u);
}

TEST_F(QemuAcpiTest, NoRsdp) {
  EXPECT_EQ(Parse(), AcpiStatus::kNoRsdp);
  EXPECT_EQ(Errors("no RSDP"), 1);
  mem_.AddZeros(PhysAddr(0xe0000), 0x20000);
  EXPECT_EQ(Parse(), AcpiStatus::kNoRsdp);
  EXPECT_EQ(info_->madt.cpu_count, 0u);
  EXPECT_EQ(Errors("no RSDP"), 2);
}

TEST_F(QemuAcpiTest, TruncatedRsdp) {
  FakePhys mem;
  std::ifstream in(TestdataPath("qemu-pc-smp1/rsdp.bin"), std::ios::binary);
  std::vector<uint8_t> rsdp((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  ASSERT_EQ(rsdp.size(), 20u);
  rsdp.resize(12);  // the signature, then unreadable memory
  mem.Add(PhysAddr(0xf59d0), rsdp);
  EXPECT_EQ(ParseAcpi(mem, PhysAddr(0), info_.get()), AcpiStatus::kNoRsdp);
  EXPECT_EQ(Warnings("truncated"), 1);
  EXPECT_EQ(Errors("no RSDP"), 1);
}

TEST_F(QemuAcpiTest, BadRsdpChecksum) {
  Load("qemu-pc-smp1");
  Table("rsdp")[8] ^= 0x55;
  EXPECT_EQ(Parse(), AcpiStatus::kNoRsdp);
  EXPECT_EQ(Warnings("bad checksum"), 1);
  EXPECT_EQ(Errors("no RSDP"), 1);
}

TEST_F(QemuAcpiTest, BadRsdtChecksum) {
  Load("qemu-pc-smp1");
  Table("RSDT")[40] ^= 1;
  EXPECT_EQ(Parse(), AcpiStatus::kNoRootTable);
  EXPECT_EQ(Warnings("RSDT at"), 1);
  EXPECT_EQ(Errors("no valid XSDT or RSDT"), 1);
}

TEST_F(QemuAcpiTest, BadTableChecksumSkipsTheTable) {
  Load("qemu-pc-smp4");
  Table("HPET")[44] ^= 0x10;  // the base address
  ASSERT_EQ(Parse(), AcpiStatus::kOk);
  EXPECT_FALSE(info_->hpet.present);
  EXPECT_EQ(info_->madt.cpu_count, 4u);  // the others are still used
  EXPECT_EQ(Warnings("HPET at"), 1);
  EXPECT_EQ(Warnings("bad checksum"), 1);
  EXPECT_EQ(Warnings("no HPET"), 1);
}

TEST_F(QemuAcpiTest, TableLengthPastReadableMemory) {
  Load("qemu-pc-smp4");
  uint8_t* madt = Table("APIC");
  const uint32_t huge = 0x100000;
  memcpy(madt + 4, &huge, 4);
  ASSERT_EQ(Parse(), AcpiStatus::kOk);
  EXPECT_FALSE(info_->madt.present);
  EXPECT_EQ(info_->madt.cpu_count, 0u);
  EXPECT_EQ(Warnings("runs past readable memory"), 1);
  EXPECT_EQ(Warnings("no MADT"), 1);
}

TEST_F(QemuAcpiTest, TableLengthBelowHeader) {
  Load("qemu-pc-smp4");
  Table("APIC")[4] = 20;
  Table("APIC")[5] = 0;
  ASSERT_EQ(Parse(), AcpiStatus::kOk);
  EXPECT_FALSE(info_->madt.present);
  EXPECT_EQ(Warnings("bad length 20"), 1);
}

TEST_F(QemuAcpiTest, MadtEntryWithLengthZeroOrOne) {
  for (uint8_t bad_length : {0, 1}) {
    SCOPED_TRACE(bad_length);
    fake::ClearLog();
    FakePhys mem;
    const auto blobs = LoadQemuFixture(&mem, "qemu-pc-smp4");
    const Blob& b = blobs.at("APIC");
    uint8_t* madt = mem.Mutable(PhysAddr(b.address), b.length);
    madt[44 + 8 + 1] = bad_length;  // the second CPU's entry
    FixChecksum(madt, b.length);
    ASSERT_EQ(ParseAcpi(mem, PhysAddr(0), info_.get()), AcpiStatus::kOk);
    EXPECT_TRUE(info_->madt.present);
    EXPECT_EQ(info_->madt.cpu_count, 1u);  // what came before it
    EXPECT_EQ(info_->madt.ioapic_count, 0u);
    EXPECT_EQ(Warnings("length " + std::to_string(bad_length) + ", rest ignored"), 1);
  }
}

TEST_F(QemuAcpiTest, MadtEntryRunningOffTheEnd) {
  Load("qemu-pc-smp4");
  uint8_t* madt = Table("APIC");
  const size_t length = blobs_["APIC"].length;
  // The last entry (the local APIC NMI, 6 bytes) claims 7.
  ASSERT_EQ(madt[length - 6], kMadtLocalApicNmi);
  madt[length - 5] = 7;
  FixChecksum(madt, length);
  ASSERT_EQ(Parse(), AcpiStatus::kOk);
  EXPECT_EQ(info_->madt.cpu_count, 4u);
  EXPECT_EQ(info_->madt.override_count, 5u);
  EXPECT_EQ(info_->madt.lapic_nmi_count, 0u);
  EXPECT_EQ(Warnings("runs past the table"), 1);
}

TEST_F(QemuAcpiTest, MadtEntryTooShortForItsType) {
  Load("qemu-pc-smp4");
  uint8_t* madt = Table("APIC");
  const size_t length = blobs_["APIC"].length;
  // Turn the IOAPIC entry (12 bytes at offset 76) into an 8-byte one, and
  // the 4 bytes after it into an unknown type.
  ASSERT_EQ(madt[76], kMadtIoApic);
  madt[77] = 8;
  madt[84] = 0x7f;
  madt[85] = 4;
  FixChecksum(madt, length);
  ASSERT_EQ(Parse(), AcpiStatus::kOk);
  EXPECT_EQ(info_->madt.ioapic_count, 0u);
  EXPECT_EQ(info_->madt.override_count, 5u);
  EXPECT_EQ(Warnings("is 8 bytes, needs 12"), 1);
}

TEST_F(QemuAcpiTest, DsdtWithoutS5) {
  Load("qemu-pc-smp1");
  uint8_t* dsdt = Table("DSDT");
  const size_t length = blobs_["DSDT"].length;
  uint8_t* s5 = static_cast<uint8_t*>(memmem(dsdt, length, "_S5_", 4));
  ASSERT_NE(s5, nullptr);
  s5[2] = '6';  // now \_S6_
  FixChecksum(dsdt, length);
  ASSERT_EQ(Parse(), AcpiStatus::kOk);
  EXPECT_FALSE(info_->has_s5);
  EXPECT_TRUE(info_->fadt.present);
  EXPECT_EQ(Warnings("no \\_S5"), 1);
}

TEST_F(QemuAcpiTest, DsdtWithBadChecksum) {
  Load("qemu-pc-smp1");
  Table("DSDT")[100] ^= 0xff;
  ASSERT_EQ(Parse(), AcpiStatus::kOk);
  EXPECT_FALSE(info_->has_s5);
  EXPECT_EQ(Warnings("DSDT at"), 1);
  EXPECT_EQ(Warnings("no usable DSDT"), 1);
}

// ---------------------------------------------------------------------------
// Synthetic tables, for what QEMU never produces.

template <typename T>
void Append(std::vector<uint8_t>* v, const T& x) {
  const auto* p = reinterpret_cast<const uint8_t*>(&x);
  v->insert(v->end(), p, p + sizeof(T));
}

std::vector<uint8_t> MakeTable(const char* sig, uint8_t revision,
                               const std::vector<uint8_t>& body) {
  AcpiHeader h{};
  memcpy(h.signature, sig, 4);
  h.length = static_cast<uint32_t>(sizeof(h) + body.size());
  h.revision = revision;
  memcpy(h.oem_id, "HVTEST", 6);
  std::vector<uint8_t> t;
  Append(&t, h);
  t.insert(t.end(), body.begin(), body.end());
  FixChecksum(t.data(), t.size());
  return t;
}

std::vector<uint8_t> MadtBody(uint32_t lapic = 0xfee00000, uint32_t flags = 1) {
  std::vector<uint8_t> b;
  Append(&b, lapic);
  Append(&b, flags);
  return b;
}

void AddLapic(std::vector<uint8_t>* b, uint8_t uid, uint8_t id, uint32_t flags) {
  Append(b, MadtLocalApic{{kMadtLocalApic, 8}, uid, id, flags});
}

void AddX2Apic(std::vector<uint8_t>* b, uint32_t uid, uint32_t id, uint32_t flags) {
  Append(b, MadtLocalX2Apic{{kMadtLocalX2Apic, 16}, 0, id, flags, uid});
}

// A minimal FADT of `length` bytes (revision 6 layout cut short).
std::vector<uint8_t> MakeFadt(const AcpiFadt& f, size_t length = sizeof(AcpiFadt)) {
  const auto* p = reinterpret_cast<const uint8_t*>(&f);
  return MakeTable("FACP", 6, std::vector<uint8_t>(p + sizeof(AcpiHeader), p + length));
}

// Places tables from 1 MiB up and an RSDP (v0 with an RSDT, or v2 with an
// XSDT and an RSDT) in the BIOS area.
class SyntheticAcpiTest : public ::testing::Test {
 protected:
  SyntheticAcpiTest() : info_(std::make_unique<AcpiInfo>()) {
    fake::ClearLog();
    mem_.AddZeros(PhysAddr(0xe0000), 0x20000);
  }

  uint64_t Place(const std::vector<uint8_t>& bytes) {
    const uint64_t at = next_;
    mem_.Add(PhysAddr(at), bytes);
    next_ += (bytes.size() + 0xfff) & ~uint64_t{0xfff};
    next_ += 0x1000;  // a gap, so that tables never touch
    return at;
  }

  // Builds the root table(s) and the RSDP pointing at them.
  void Finish(const std::vector<uint64_t>& tables, bool v2 = false) {
    std::vector<uint8_t> rsdt_body, xsdt_body;
    for (uint64_t t : tables) {
      Append(&rsdt_body, static_cast<uint32_t>(t));
      Append(&xsdt_body, t);
    }
    AcpiRsdp rsdp{};
    memcpy(rsdp.signature, "RSD PTR ", 8);
    memcpy(rsdp.oem_id, "HVTEST", 6);
    rsdp.rsdt_address = static_cast<uint32_t>(Place(MakeTable("RSDT", 1, rsdt_body)));
    if (v2) {
      rsdp.revision = 2;
      rsdp.length = sizeof(rsdp);
      rsdp.xsdt_address = Place(MakeTable("XSDT", 1, xsdt_body));
    }
    auto* bytes = reinterpret_cast<uint8_t*>(&rsdp);
    FixChecksum(bytes, kAcpiRsdpV1Size, 8);
    FixChecksum(bytes, sizeof(rsdp), 32);
    mem_.Add(PhysAddr(kRsdpAddr), &rsdp, v2 ? sizeof(rsdp) : kAcpiRsdpV1Size);
  }

  AcpiStatus Parse() { return ParseAcpi(mem_, PhysAddr(0), info_.get()); }

  static constexpr uint64_t kRsdpAddr = 0xf0010;
  FakePhys mem_;
  uint64_t next_ = 0x100000;
  std::unique_ptr<AcpiInfo> info_;
};

TEST_F(SyntheticAcpiTest, MissingMadtHpetAndFadt) {
  std::vector<uint8_t> body(4, 0);
  Finish({Place(MakeTable("SSDT", 2, body))});
  ASSERT_EQ(Parse(), AcpiStatus::kOk);
  EXPECT_FALSE(info_->madt.present);
  EXPECT_FALSE(info_->hpet.present);
  EXPECT_FALSE(info_->fadt.present);
  EXPECT_FALSE(info_->has_s5);
  EXPECT_EQ(info_->table_count, 2u);
  EXPECT_EQ(Warnings("no MADT"), 1);
  EXPECT_EQ(Warnings("no HPET"), 1);
  EXPECT_EQ(Warnings("no FADT"), 1);
}

TEST_F(SyntheticAcpiTest, MoreCpusThanTheArrayHolds) {
  std::vector<uint8_t> madt = MadtBody();
  for (uint32_t i = 0; i < 300; ++i) AddX2Apic(&madt, i, i, kMadtCpuEnabled);
  Finish({Place(MakeTable("APIC", 5, madt))});
  ASSERT_EQ(Parse(), AcpiStatus::kOk);
  ASSERT_EQ(info_->madt.cpu_count, kMaxCpus);
  EXPECT_EQ(info_->madt.cpus[255].apic_id, 255u);
  EXPECT_TRUE(info_->madt.cpus[255].from_x2apic_entry);
  EXPECT_EQ(Warnings("44 more CPUs than the 256"), 1);
}

TEST_F(SyntheticAcpiTest, CpuFlagsAndDuplicates) {
  std::vector<uint8_t> madt = MadtBody(0xfee00000, 0);
  AddLapic(&madt, 0, 0, kMadtCpuEnabled);
  AddLapic(&madt, 1, 1, 0);                      // absent
  AddLapic(&madt, 2, 2, kMadtCpuOnlineCapable);  // hot-pluggable (revision 5)
  AddLapic(&madt, 3, 0xff, kMadtCpuEnabled);     // not a valid xAPIC id
  AddX2Apic(&madt, 4, 0, kMadtCpuEnabled);       // the BSP again
  AddX2Apic(&madt, 5, 0x100, kMadtCpuEnabled);   // needs x2APIC mode
  Append(&madt, MadtLocalApicOverride{{kMadtLocalApicOverride, 12}, 0, 0xfee10000});
  Append(&madt, MadtNmiSource{{kMadtNmiSource, 8}, 0xd, 7});
  Append(&madt, MadtLocalX2ApicNmi{{kMadtLocalX2ApicNmi, 12}, 5, 0x100, 1, {}});
  Finish({Place(MakeTable("APIC", 5, madt))});
  ASSERT_EQ(Parse(), AcpiStatus::kOk);
  EXPECT_FALSE(info_->madt.pcat_compat);
  EXPECT_EQ(info_->madt.lapic_address.value(), 0xfee10000u);
  ASSERT_EQ(info_->madt.cpu_count, 3u);
  EXPECT_EQ(info_->madt.cpus[0].apic_id, 0u);
  EXPECT_EQ(info_->madt.cpus[1].apic_id, 2u);
  EXPECT_FALSE(info_->madt.cpus[1].enabled);
  EXPECT_TRUE(info_->madt.cpus[1].online_capable);
  EXPECT_EQ(info_->madt.cpus[2].apic_id, 0x100u);
  EXPECT_EQ(info_->madt.cpus[2].acpi_uid, 5u);
  ASSERT_EQ(info_->madt.nmi_source_count, 1u);
  EXPECT_EQ(info_->madt.nmi_sources[0].gsi, 7u);
  ASSERT_EQ(info_->madt.lapic_nmi_count, 1u);
  EXPECT_EQ(info_->madt.lapic_nmis[0].acpi_uid, 0x100u);
  EXPECT_EQ(Warnings("APIC id 0 twice"), 1);
}

TEST_F(SyntheticAcpiTest, OnlineCapableIgnoredBeforeMadtRevision5) {
  std::vector<uint8_t> madt = MadtBody();
  AddLapic(&madt, 0, 0, kMadtCpuEnabled);
  AddLapic(&madt, 1, 1, kMadtCpuOnlineCapable);
  Finish({Place(MakeTable("APIC", 3, madt))});
  ASSERT_EQ(Parse(), AcpiStatus::kOk);
  EXPECT_EQ(info_->madt.cpu_count, 1u);
}

TEST_F(SyntheticAcpiTest, TooManyIoApicsAndOverrides) {
  std::vector<uint8_t> madt = MadtBody();
  AddLapic(&madt, 0, 0, kMadtCpuEnabled);
  for (uint8_t i = 0; i < 10; ++i) {
    Append(&madt, MadtIoApic{{kMadtIoApic, 12}, i, 0, 0xfec00000u + i * 0x1000u, i * 24u});
  }
  for (uint8_t i = 0; i < 20; ++i)
    Append(&madt, MadtIrqOverride{{kMadtIrqOverride, 10}, 0, i, i, 0});
  Append(&madt, MadtIoApic{{kMadtIoApic, 12}, 11, 0, 0, 0});  // address 0
  Finish({Place(MakeTable("APIC", 1, madt))});
  ASSERT_EQ(Parse(), AcpiStatus::kOk);
  EXPECT_EQ(info_->madt.ioapic_count, kMaxIoApics);
  EXPECT_EQ(info_->madt.override_count, kMaxIrqOverrides);
  EXPECT_EQ(Warnings("2 more IOAPICs"), 1);
  EXPECT_EQ(Warnings("4 more interrupt overrides"), 1);
  EXPECT_EQ(Warnings("has address 0"), 1);
}

TEST_F(SyntheticAcpiTest, MadtTooShortAndStrayByte) {
  Finish({Place(MakeTable("APIC", 1, std::vector<uint8_t>(4, 0)))});
  ASSERT_EQ(Parse(), AcpiStatus::kOk);
  EXPECT_FALSE(info_->madt.present);
  EXPECT_EQ(Warnings("too short"), 1);

  fake::ClearLog();
  std::vector<uint8_t> madt = MadtBody();
  AddLapic(&madt, 0, 0, kMadtCpuEnabled);
  madt.push_back(0);
  Finish({Place(MakeTable("APIC", 1, madt))});
  ASSERT_EQ(Parse(), AcpiStatus::kOk);
  EXPECT_EQ(info_->madt.cpu_count, 1u);
  EXPECT_EQ(Warnings("stray byte"), 1);
}

TEST_F(SyntheticAcpiTest, XsdtPreferredAndEntryPointingToNowhere) {
  std::vector<uint8_t> madt = MadtBody();
  AddLapic(&madt, 0, 0, kMadtCpuEnabled);
  AddLapic(&madt, 1, 1, kMadtCpuEnabled);
  Finish({0x7000000000, Place(MakeTable("APIC", 1, madt)), 0}, /*v2=*/true);
  ASSERT_EQ(Parse(), AcpiStatus::kOk);
  EXPECT_TRUE(info_->used_xsdt);
  EXPECT_EQ(info_->rsdp_revision, 2);
  EXPECT_EQ(info_->madt.cpu_count, 2u);
  EXPECT_EQ(Warnings("at 0x7000000000 is unreadable"), 1);
  EXPECT_EQ(Warnings("null"), 1);
}

TEST_F(SyntheticAcpiTest, BadXsdtFallsBackToRsdt) {
  std::vector<uint8_t> madt = MadtBody();
  AddLapic(&madt, 0, 0, kMadtCpuEnabled);
  Finish({Place(MakeTable("APIC", 1, madt))}, /*v2=*/true);
  AcpiRsdp rsdp;
  ASSERT_TRUE(ReadPhys(mem_, PhysAddr(kRsdpAddr), &rsdp));
  mem_.Mutable(PhysAddr(rsdp.xsdt_address), 40)[39] ^= 1;
  ASSERT_EQ(Parse(), AcpiStatus::kOk);
  EXPECT_FALSE(info_->used_xsdt);
  EXPECT_EQ(info_->root_table.value(), rsdp.rsdt_address);
  EXPECT_EQ(info_->madt.cpu_count, 1u);
  EXPECT_EQ(Warnings("XSDT at"), 1);
  EXPECT_EQ(Warnings("trying the RSDT"), 1);
}

TEST_F(SyntheticAcpiTest, BadExtendedRsdpChecksumUsesRsdt) {
  std::vector<uint8_t> madt = MadtBody();
  AddLapic(&madt, 0, 0, kMadtCpuEnabled);
  Finish({Place(MakeTable("APIC", 1, madt))}, /*v2=*/true);
  mem_.Mutable(PhysAddr(kRsdpAddr), 36)[32] ^= 1;
  ASSERT_EQ(Parse(), AcpiStatus::kOk);
  EXPECT_FALSE(info_->used_xsdt);
  EXPECT_EQ(info_->madt.cpu_count, 1u);
  EXPECT_EQ(Warnings("bad extended checksum"), 1);
}

TEST_F(SyntheticAcpiTest, RootTableWithPartialEntryAndWrongSignature) {
  std::vector<uint8_t> madt = MadtBody();
  AddLapic(&madt, 0, 0, kMadtCpuEnabled);
  const uint64_t madt_at = Place(MakeTable("APIC", 1, madt));
  std::vector<uint8_t> body;
  Append(&body, static_cast<uint32_t>(madt_at));
  body.push_back(0);
  body.push_back(0);
  AcpiRsdp rsdp{};
  memcpy(rsdp.signature, "RSD PTR ", 8);
  rsdp.rsdt_address = static_cast<uint32_t>(Place(MakeTable("RSDT", 1, body)));
  FixChecksum(reinterpret_cast<uint8_t*>(&rsdp), kAcpiRsdpV1Size, 8);
  mem_.Add(PhysAddr(kRsdpAddr), &rsdp, kAcpiRsdpV1Size);
  ASSERT_EQ(Parse(), AcpiStatus::kOk);
  EXPECT_EQ(info_->madt.cpu_count, 1u);
  EXPECT_EQ(Warnings("not a whole number of entries"), 1);

  // The RSDP pointing at something that is not an RSDT.
  fake::ClearLog();
  rsdp.rsdt_address = static_cast<uint32_t>(madt_at);
  FixChecksum(reinterpret_cast<uint8_t*>(&rsdp), kAcpiRsdpV1Size, 8);
  mem_.Add(PhysAddr(kRsdpAddr), &rsdp, kAcpiRsdpV1Size);
  EXPECT_EQ(Parse(), AcpiStatus::kNoRootTable);
  EXPECT_EQ(Warnings("is 'APIC', expected RSDT"), 1);
  EXPECT_EQ(Errors("no valid XSDT or RSDT"), 1);
}

TEST_F(SyntheticAcpiTest, OverlappingAndDuplicateTables) {
  std::vector<uint8_t> madt = MadtBody();
  AddLapic(&madt, 0, 0, kMadtCpuEnabled);
  const uint64_t madt_at = Place(MakeTable("APIC", 1, madt));
  std::vector<uint8_t> madt2 = MadtBody();
  AddLapic(&madt2, 0, 7, kMadtCpuEnabled);
  const uint64_t madt2_at = Place(MakeTable("APIC", 1, madt2));
  // A valid table inside another valid one.
  std::vector<uint8_t> outer_body(8, 0xAA);
  const std::vector<uint8_t> inner = MakeTable("OEM2", 1, {1, 2, 3});
  outer_body.insert(outer_body.end(), inner.begin(), inner.end());
  const uint64_t outer_at = Place(MakeTable("OEM1", 1, outer_body));
  Finish({madt_at, madt_at, madt2_at, outer_at, outer_at + 36 + 8});
  ASSERT_EQ(Parse(), AcpiStatus::kOk);
  ASSERT_EQ(info_->madt.cpu_count, 1u);
  EXPECT_EQ(info_->madt.cpus[0].apic_id, 0u);  // the first MADT wins
  EXPECT_EQ(Warnings("overlaps APIC"), 1);     // the same MADT listed twice
  EXPECT_EQ(Warnings("OEM2 at"), 1);
  EXPECT_EQ(Warnings("overlaps OEM1"), 1);
  EXPECT_EQ(Warnings("another APIC"), 1);
  EXPECT_EQ(info_->table_count, 4u);  // RSDT, APIC, APIC, OEM1
}

TEST_F(SyntheticAcpiTest, HpetChecks) {
  AcpiHpet hpet{};
  hpet.base_address = {kAcpiSpaceIo, 64, 0, 0, 0x1000};
  const auto* p = reinterpret_cast<const uint8_t*>(&hpet);
  Finish({Place(MakeTable("HPET", 1, std::vector<uint8_t>(p + 36, p + sizeof(hpet))))});
  ASSERT_EQ(Parse(), AcpiStatus::kOk);
  EXPECT_FALSE(info_->hpet.present);
  EXPECT_EQ(Warnings("not memory"), 1);

  fake::ClearLog();
  Finish({Place(MakeTable("HPET", 1, std::vector<uint8_t>(p + 36, p + 50)))});
  ASSERT_EQ(Parse(), AcpiStatus::kOk);
  EXPECT_FALSE(info_->hpet.present);
  EXPECT_EQ(Warnings("too short"), 1);

  fake::ClearLog();
  hpet.base_address = {kAcpiSpaceMemory, 64, 0, 0, 0};
  Finish({Place(MakeTable("HPET", 1, std::vector<uint8_t>(p + 36, p + sizeof(hpet))))});
  ASSERT_EQ(Parse(), AcpiStatus::kOk);
  EXPECT_FALSE(info_->hpet.present);
  EXPECT_EQ(Warnings("base address is 0"), 1);
}

// A DSDT whose AML is just Name(\_S5_, Package(2) {5, 5}).
std::vector<uint8_t> DsdtWithS5() {
  return MakeTable("DSDT", 2,
                   {0x08, '\\', '_', 'S', '5', '_', 0x12, 0x06, 0x02, 0x0A, 0x05, 0x0A, 0x05});
}

TEST_F(SyntheticAcpiTest, FadtV6WithXFields) {
  const uint64_t dsdt = Place(DsdtWithS5());
  AcpiFadt f{};
  f.dsdt = 0xdead0000;  // X_DSDT wins
  f.x_dsdt = dsdt;
  f.sci_int = 9;
  f.pm1a_cnt_blk = 0x1004;  // the X_ field wins
  f.x_pm1a_cnt_blk = {kAcpiSpaceIo, 16, 0, 2, 0xb004};
  f.x_pm1b_cnt_blk = {kAcpiSpaceMemory, 16, 0, 2, 0xfe000000};  // not a port: legacy used
  f.pm1b_cnt_blk = 0xb008;
  f.flags = kFadtResetRegSupported;
  f.reset_reg = {kAcpiSpaceMemory, 8, 0, 1, 0xfe001000};
  f.reset_value = 0x42;
  Finish({Place(MakeFadt(f))});
  ASSERT_EQ(Parse(), AcpiStatus::kOk);
  EXPECT_EQ(info_->fadt.dsdt.value(), dsdt);
  EXPECT_EQ(info_->fadt.pm1a_cnt_port, 0xb004);
  EXPECT_EQ(info_->fadt.pm1b_cnt_port, 0xb008);
  ASSERT_TRUE(info_->fadt.reset_supported);
  EXPECT_EQ(info_->fadt.reset_reg.space_id, kAcpiSpaceMemory);
  EXPECT_EQ(info_->fadt.reset_reg.address, 0xfe001000u);
  EXPECT_EQ(info_->fadt.reset_value, 0x42);
  ASSERT_TRUE(info_->has_s5);
  EXPECT_EQ(info_->s5.slp_typ_a, 5);
  EXPECT_EQ(info_->s5.slp_typ_b, 5);
  EXPECT_EQ(Warnings("differ; using X_DSDT"), 1);
  EXPECT_EQ(Warnings("X_PM1b_CNT_BLK is not an I/O port"), 1);
}

TEST_F(SyntheticAcpiTest, FadtTooShortAndBadResetRegister) {
  AcpiFadt f{};
  f.dsdt = static_cast<uint32_t>(Place(DsdtWithS5()));
  f.pm1a_cnt_blk = 0x604;
  f.flags = kFadtResetRegSupported;
  f.reset_reg = {kAcpiSpaceIo, 8, 0, 1, 0};  // supported, but no address
  Finish({Place(MakeFadt(f, 132))});
  ASSERT_EQ(Parse(), AcpiStatus::kOk);
  EXPECT_FALSE(info_->fadt.reset_supported);
  EXPECT_EQ(info_->fadt.pm1a_cnt_port, 0x604);
  EXPECT_TRUE(info_->has_s5);
  EXPECT_EQ(Warnings("reset register unusable"), 1);

  // Cut before the PM1 fields: what is missing reads as 0.
  fake::ClearLog();
  Finish({Place(MakeFadt(f, 48))});
  ASSERT_EQ(Parse(), AcpiStatus::kOk);
  EXPECT_TRUE(info_->fadt.present);
  EXPECT_EQ(info_->fadt.pm1a_cnt_port, 0);
  EXPECT_FALSE(info_->fadt.reset_supported);
  EXPECT_EQ(Warnings("shorter than ACPI 1.0"), 1);
  EXPECT_EQ(Warnings("no PM1a control block"), 1);
}

TEST_F(SyntheticAcpiTest, HardwareReducedFadtSkipsS5) {
  AcpiFadt f{};
  f.flags = kFadtHwReducedAcpi;
  Finish({Place(MakeFadt(f))});
  ASSERT_EQ(Parse(), AcpiStatus::kOk);
  EXPECT_TRUE(info_->fadt.hw_reduced);
  EXPECT_FALSE(info_->has_s5);
  EXPECT_EQ(Warnings("PM1a"), 0);
}

TEST_F(SyntheticAcpiTest, FadtPointingAtMissingDsdt) {
  AcpiFadt f{};
  f.dsdt = 0x3000000;
  f.pm1a_cnt_blk = 0x604;
  Finish({Place(MakeFadt(f))});
  ASSERT_EQ(Parse(), AcpiStatus::kOk);
  EXPECT_FALSE(info_->has_s5);
  EXPECT_EQ(Warnings("no usable DSDT"), 1);
}

// ---------------------------------------------------------------------------
// \_S5 in AML.

S5Status Scan(const std::vector<uint8_t>& aml, SleepType* out) {
  return FindS5(aml.data(), aml.size(), out);
}

TEST(FindS5Test, Encodings) {
  SleepType s{};
  // QEMU's: no root prefix, Zero elements.
  EXPECT_EQ(Scan({0x10, 0x08, '_', 'S', '5', '_', 0x12, 0x06, 0x04, 0x00, 0x00, 0x00, 0x00}, &s),
            S5Status::kOk);
  EXPECT_EQ(s.slp_typ_a, 0);
  // Root prefix and BytePrefix values.
  EXPECT_EQ(
      Scan({0x08, '\\', '_', 'S', '5', '_', 0x12, 0x08, 0x04, 0x0A, 0x07, 0x0A, 0x03, 0, 0}, &s),
      S5Status::kOk);
  EXPECT_EQ(s.slp_typ_a, 7);
  EXPECT_EQ(s.slp_typ_b, 3);
  // One, Ones, and a two-byte PkgLength (0x46 0x00: 6 bytes) that must fit.
  EXPECT_EQ(Scan({0x08, '_', 'S', '5', '_', 0x12, 0x46, 0x00, 0x02, 0x01, 0xFF}, &s),
            S5Status::kMalformed);
  EXPECT_EQ(Scan({0x08, '_', 'S', '5', '_', 0x12, 0x46, 0x00, 0x02, 0x01, 0xFF, 0}, &s),
            S5Status::kOk);
  EXPECT_EQ(s.slp_typ_a, 1);
  EXPECT_EQ(s.slp_typ_b, 0xFF);
  // WordPrefix and a single element carrying both values.
  EXPECT_EQ(Scan({0x08, '_', 'S', '5', '_', 0x12, 0x05, 0x01, 0x0B, 0x05, 0x06}, &s),
            S5Status::kOk);
  EXPECT_EQ(s.slp_typ_a, 5);
  EXPECT_EQ(s.slp_typ_b, 6);
}

TEST(FindS5Test, NotFoundAndMalformed) {
  SleepType s{};
  EXPECT_EQ(Scan({}, &s), S5Status::kNotFound);
  EXPECT_EQ(Scan({'_', 'S', '5', '_'}, &s), S5Status::kNotFound);  // no NameOp before
  EXPECT_EQ(Scan({0x14, '_', 'S', '5', '_', 0x12, 0x06, 0x04, 0, 0, 0, 0}, &s),
            S5Status::kNotFound);  // a MethodOp, not a NameOp
  // Cut short at every point after the name.
  const std::vector<uint8_t> full = {0x08, '_', 'S', '5', '_', 0x12, 0x06, 0x04, 0x0A, 5, 0x0A, 5};
  for (size_t len = 5; len < full.size(); ++len) {
    SCOPED_TRACE(len);
    EXPECT_EQ(FindS5(full.data(), len, &s), S5Status::kMalformed);
  }
  EXPECT_EQ(Scan(full, &s), S5Status::kOk);
  // Not a package, an empty package, a non-integer element.
  EXPECT_EQ(Scan({0x08, '_', 'S', '5', '_', 0x0A, 0x05}, &s), S5Status::kMalformed);
  EXPECT_EQ(Scan({0x08, '_', 'S', '5', '_', 0x12, 0x02, 0x00}, &s), S5Status::kMalformed);
  EXPECT_EQ(Scan({0x08, '_', 'S', '5', '_', 0x12, 0x04, 0x02, 0x0D, 'a', 0}, &s),
            S5Status::kMalformed);
  // A malformed lookalike, then the real one.
  EXPECT_EQ(
      Scan({0x08, '_', 'S', '5', '_', 0x33, 0x08, '_', 'S', '5', '_', 0x12, 0x04, 0x02, 0x01, 0x01},
           &s),
      S5Status::kOk);
  EXPECT_EQ(s.slp_typ_a, 1);
}

}  // namespace
}  // namespace hv::x86
