// SPDX-License-Identifier: Apache-2.0
#include "hv/arch/x86/guest_boot.h"

#include "hv/arch/x86/cpu.h"

#include "hv/arch/x86/time.h"
#include "hv/arch/x86/vcpu_arch.h"
#include "hv/arch/x86/guest_acpi.h"
#include "hv/arch/x86/platform.h"
#include "hv/core/bzimage.h"
#include "hv/core/domains.h"
#include "hv/core/elf.h"
#include "hv/lib/log.h"
#include "hv/start_info.h"

namespace hv::x86 {
namespace {

// Guest-physical layout of what hv builds below the image.
constexpr uint64_t kPml4 = 0x1000, kPdpt = 0x2000, kPd = 0x3000;  // 4 PDs: 0x3000-0x6fff
constexpr uint64_t kGdt = 0x7000;
constexpr uint64_t kStartInfo = 0x8000, kCmdline = 0x8100, kCmdlineMax = 0xf00;
constexpr uint64_t kStackTop = 0x10000;
constexpr uint64_t kLowEnd = 0x10000;

bool Put64(Domain& d, uint64_t gpa, uint64_t v) {
  return domains::CopyToGuest(d, GuestPhysAddr(gpa), &v, sizeof(v));
}

// Identity map of the first 4 GiB with 2 MiB pages, and a flat GDT.
bool BuildLowTables(Domain& d) {
  constexpr uint64_t kP = 1, kW = 2, kPs = 0x80;
  bool ok = Put64(d, kPml4, kPdpt | kP | kW);
  for (uint64_t i = 0; ok && i < 4; ++i) ok = Put64(d, kPdpt + 8 * i, (kPd + 0x1000 * i) | kP | kW);
  for (uint64_t i = 0; ok && i < 2048; ++i) ok = Put64(d, kPd + 8 * i, (i << 21) | kP | kW | kPs);
  const uint64_t gdt[3] = {0, 0x00af9b000000ffff, 0x00cf93000000ffff};
  return ok && domains::CopyToGuest(d, GuestPhysAddr(kGdt), gdt, sizeof(gdt));
}

// 64-bit mode at rip: paging on (cr3), a flat GDT at gdt with those code
// and data selectors, interrupts off, RSI = rsi.
struct LongModeEntry {
  uint64_t rip, rsp, rsi, cr3, gdt;
  uint16_t gdt_limit, cs, ds;
};

void SetLongModeEntry(Vcpu& v, const LongModeEntry& m) {
  VmcbState& s = v.arch->vmcb->state;
  const VmcbSegment code{m.cs, 0xa9b, 0xffffffff, 0};  // 64-bit code, DPL 0, accessed
  const VmcbSegment data{m.ds, 0xc93, 0xffffffff, 0};
  s.cs = code;
  s.ds = s.es = s.ss = s.fs = s.gs = data;
  s.gdtr = {0, 0, m.gdt_limit, m.gdt};
  s.idtr = {0, 0, 0, 0};
  s.tr = {0, 0x8b, 0x67, 0};    // busy 64-bit TSS: VMRUN wants a usable TR
  s.ldtr = {0, 0x82, 0, 0};
  s.cpl = 0;
  s.cr0 = 0x80050033;  // PG, WP, NE, ET, MP, PE
  s.cr3 = m.cr3;
  // What a 64-bit kernel runs with: PAE, PGE, OSFXSR, OSXMMEXCPT, and SMEP and
  // SMAP where hv has them (the tables above map no user pages). Matching
  // hv's own paging bits also spares QEMU's TCG a full TLB flush each way of
  // every world switch.
  s.cr4 = kCr4Pae | kCr4Pge | kCr4Osfxsr | kCr4Osxmmexcpt | (ReadCr4() & (kCr4Smep | kCr4Smap));
  s.efer = 0xd00 | (1u << 12);  // LME, LMA, NXE (+ SVME for VMRUN)
  s.rflags = 2;
  s.rip = m.rip;
  s.rsp = m.rsp;
  s.rax = 0;
  v.arch->regs = {};
  v.arch->regs.rsi = m.rsi;
}

}  // namespace

const char* BootStatusName(BootStatus s) {
  switch (s) {
    case BootStatus::kOk: return "ok";
    case BootStatus::kBadImage: return "not a valid ELF64 x86-64 executable";
    case BootStatus::kTooLarge: return "larger than the domain's memory";
    case BootStatus::kOverlapsLow: return "loads into the first 64 KiB, which hv uses";
    case BootStatus::kFault: return "could not write guest memory";
  }
  return "?";
}

BootStatus BootElf(Domain& d, const uint8_t* image, size_t size, const char* cmdline) {
  static ElfImage elf;  // boot-time domains are built one at a time, on CPU0
  const ElfStatus es = ParseElf(image, size, d.memory_bytes, &elf);
  if (es == ElfStatus::kSegmentOutsideMemory) return BootStatus::kTooLarge;
  if (es != ElfStatus::kOk) {
    HV_ERROR("d%u: kernel: %s", d.id, ElfStatusName(es));
    return BootStatus::kBadImage;
  }
  if (elf.lowest.value() < kLowEnd) return BootStatus::kOverlapsLow;
  for (size_t i = 0; i < elf.segment_count; ++i) {
    const ElfSegment& seg = elf.segments[i];
    // Memory is zeroed at creation, so only the file's bytes are copied.
    if (!domains::CopyToGuest(d, seg.guest_addr, image + seg.file_offset, seg.file_size)) {
      return BootStatus::kFault;
    }
  }
  if (!BuildLowTables(d)) return BootStatus::kFault;

  hv_start_info info{};
  info.magic = HV_START_INFO_MAGIC;
  info.domain_id = d.id;
  info.vcpu_count = d.vcpu_count;
  info.memory_bytes = d.memory_bytes;
  size_t len = 0;
  while (cmdline && cmdline[len] && len + 1 < kCmdlineMax) ++len;
  if (len) {
    info.cmdline_gpa = kCmdline;
    const char nul = 0;
    if (!domains::CopyToGuest(d, GuestPhysAddr(kCmdline), cmdline, len) ||
        !domains::CopyToGuest(d, GuestPhysAddr(kCmdline + len), &nul, 1)) {
      return BootStatus::kFault;
    }
  }
  info.free_gpa = AlignUp(elf.end.value(), kPageSize);
  info.tsc_hz = time::TscHz();
  if (!domains::CopyToGuest(d, GuestPhysAddr(kStartInfo), &info, sizeof(info))) {
    return BootStatus::kFault;
  }
  SetLongModeEntry(*d.vcpus[0],
                   {elf.entry.value(), kStackTop, kStartInfo, kPml4, kGdt, 3 * 8 - 1, 0x08, 0x10});
  return BootStatus::kOk;
}

BootStatus BootLinux(Domain& d, const uint8_t* kernel, size_t kernel_size, const uint8_t* initrd,
                     size_t initrd_size, const char* cmdline) {
  static BzImage bz;  // boot-time domains are built one at a time, on CPU0
  static GuestLayout layout;
  const BzImageStatus bs = ParseBzImage(kernel, kernel_size, d.memory_bytes, &bz);
  if (bs == BzImageStatus::kTooLarge) return BootStatus::kTooLarge;
  if (bs != BzImageStatus::kOk) {
    HV_ERROR("d%u: kernel: %s", d.id, BzImageStatusName(bs));
    return BootStatus::kBadImage;
  }
  size_t cmdline_len = 0;
  while (cmdline && cmdline[cmdline_len]) ++cmdline_len;
  const LayoutStatus ls = PlanGuestLayout(d.memory_bytes, bz, initrd ? initrd_size : 0, cmdline_len,
                                          &layout);
  if (ls != LayoutStatus::kOk) {
    HV_ERROR("d%u: %s", d.id, LayoutStatusName(ls));
    return ls == LayoutStatus::kCmdlineTooLong ? BootStatus::kBadImage : BootStatus::kTooLarge;
  }
  // The kernel, the initrd, the command line.
  if (!domains::CopyToGuest(d, layout.kernel, kernel + bz.payload_offset, bz.payload_size) ||
      (initrd && initrd_size && !domains::CopyToGuest(d, layout.initrd, initrd, initrd_size)) ||
      (cmdline_len && !domains::CopyToGuest(d, layout.cmdline, cmdline, cmdline_len + 1))) {
    return BootStatus::kFault;
  }
  // ACPI: the vCPUs (x2APIC entries), the IOAPIC, power-off and reset.
  static uint8_t tables[8192];
  GuestAcpiParams ap;
  ap.vcpu_count = d.vcpu_count;
  ap.apic_entries = GuestApicEntries::kLocalX2Apic;
  ap.memory_bytes = d.memory_bytes;
  ap.base = layout.acpi.value();
  size_t used = 0;
  const uint64_t cap = layout.acpi_max < sizeof(tables) ? layout.acpi_max : sizeof(tables);
  if (BuildGuestAcpi(ap, tables, cap, &used) != GuestAcpiStatus::kOk ||
      !domains::CopyToGuest(d, layout.acpi, tables, used)) {
    return BootStatus::kFault;
  }
  // The zero page, the boot page tables and GDT.
  static uint8_t zero_page[kPageSize];
  ZeroPageParams zp;
  zp.cmdline = cmdline_len ? layout.cmdline : GuestPhysAddr(0);
  zp.cmdline_len = cmdline_len;
  zp.initrd = layout.initrd;
  zp.initrd_size = initrd ? initrd_size : 0;
  zp.e820 = layout.e820;
  zp.e820_count = layout.e820_count;
  zp.acpi_rsdp = layout.acpi;
  static uint8_t page_tables[kBootPageTablesSize];
  BuildBootPageTables(layout.page_tables.value(), page_tables);
  if (BuildZeroPage(bz, zp, zero_page) != ZeroPageStatus::kOk ||
      !domains::CopyToGuest(d, layout.zero_page, zero_page, sizeof(zero_page)) ||
      !domains::CopyToGuest(d, layout.page_tables, page_tables, sizeof(page_tables)) ||
      !domains::CopyToGuest(d, layout.gdt, kLinuxBootGdt, sizeof(kLinuxBootGdt))) {
    return BootStatus::kFault;
  }
  if (!PlatformCreate(d)) return BootStatus::kFault;
  SetLongModeEntry(*d.vcpus[0],
                   {layout.entry.value(), layout.stack_top.value(), layout.zero_page.value(),
                    layout.page_tables.value(), layout.gdt.value(), sizeof(kLinuxBootGdt) - 1,
                    kBootCs, kBootDs});
  HV_INFO("d%u: Linux boot protocol %x.%02x, kernel at 0x%lx (%u KiB with its workspace), "
          "initrd %zu KiB",
          d.id, bz.protocol >> 8, bz.protocol & 0xff, layout.kernel.value(), bz.init_size / 1024,
          initrd_size / 1024);
  return BootStatus::kOk;
}

}  // namespace hv::x86
