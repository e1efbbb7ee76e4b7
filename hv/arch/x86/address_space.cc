// SPDX-License-Identifier: Apache-2.0
#include "hv/arch/x86/address_space.h"

#include "hv/arch/x86/cpu.h"
#include "hv/arch/x86/layout.h"
#include "hv/arch/x86/page_table.h"
#include "hv/core/heap.h"
#include "hv/lib/log.h"
#include "hv/lib/spinlock.h"

extern "C" char __image_start[], __text_start[], __text_end[], __rodata_start[], __rodata_end[],
    __data_start[], __image_end[];
extern "C" uint64_t boot_pml4[512];

namespace hv::x86::address_space {
namespace {

PageTable g_table;
SpinLock g_lock;  // guards g_table and the two bump pointers below
uint64_t g_ioremap_next = HV_IOREMAP_BASE;
uint64_t g_stacks_next = HV_STACKS_BASE;

uint64_t Phys(const char* image_symbol) {
  return reinterpret_cast<uint64_t>(image_symbol) - HV_IMAGE_VIRT_BASE;
}

PhysAddr TakePage() { return heap::AllocZeroedPage(); }

bool Check(MapStatus s, const char* what) {
  if (s == MapStatus::kOk) return true;
  HV_ERROR("cannot map %s: %s", what, ToString(s));
  return false;
}

// Maps [start, end) of the direct map, skipping the image, which is mapped
// there separately with the image's own permissions (no writable alias of code).
bool MapDirect(uint64_t start, uint64_t end) {
  const uint64_t img_lo = Phys(__image_start), img_hi = Phys(__image_end);
  auto map = [](uint64_t s, uint64_t e) {
    if (s >= e) return true;
    return Check(
        g_table.Map(VirtAddr(HV_DIRECT_MAP_BASE + s), PhysAddr(s), e - s, kMapWrite | kMapGlobal),
        "the direct map");
  };
  if (end <= img_lo || start >= img_hi) return map(start, end);
  return map(start, img_lo) && map(img_hi > start ? img_hi : start, end);
}

bool MapImageSection(const char* start, const char* end, uint32_t attrs, const char* what) {
  const uint64_t s = reinterpret_cast<uint64_t>(start),
                 e = AlignUp(reinterpret_cast<uint64_t>(end), kPageSize);
  const uint64_t ps = Phys(start);
  // At its linked address, and at its place in the direct map (never executable there).
  return Check(g_table.Map(VirtAddr(s), PhysAddr(ps), e - s, attrs | kMapGlobal), what) &&
         Check(g_table.Map(VirtAddr(HV_DIRECT_MAP_BASE + ps), PhysAddr(ps), e - s,
                           (attrs & ~kMapExec) | kMapGlobal),
               what);
}

}  // namespace

uint64_t ExtendBootMap(uint64_t max_phys, bool page1g) {
  if (max_phys <= HV_BOOT_MAPPED_LIMIT) return HV_BOOT_MAPPED_LIMIT;
  if (!page1g) {
    HV_WARN("memory above 4 GiB is not used: this CPU has no 1 GiB pages for the boot map");
    return HV_BOOT_MAPPED_LIMIT;
  }
  // boot_pml4[0] and [256] share one PDPT; its entries 4.. become 1 GiB pages.
  uint64_t* pdpt = reinterpret_cast<uint64_t*>((boot_pml4[0] & kPteAddrMask) + HV_IMAGE_VIRT_BASE);
  uint64_t limit = HV_BOOT_MAPPED_LIMIT;
  for (uint64_t i = 4; i < 512 && (i << 30) < max_phys; ++i) {
    pdpt[i] = (i << 30) | kPteP | kPteW | kPtePs;
    limit = (i + 1) << 30;
  }
  WriteCr3(ReadCr3());
  if (limit < max_phys) HV_WARN("memory above %lu GiB is not used yet", limit >> 30);
  return limit;
}

bool Build(const BootInfo& info, bool page1g) {
  if (!g_table.Init(&TakePage, page1g)) {
    HV_ERROR("no memory for hv's page tables");
    return false;
  }
  // The image, W^X: code read-only and executable; read-only data; the rest writable, NX.
  if (!MapImageSection(__text_start, __text_end, kMapExec, "hv's code") ||
      !MapImageSection(__rodata_start, __rodata_end, kMapRead, "hv's read-only data") ||
      !MapImageSection(__data_start, __image_end, kMapWrite, "hv's data")) {
    return false;
  }
  // The first MiB always (the BIOS areas hold the ACPI RSDP; the AP trampoline
  // lives there), then every range the firmware describes, whatever its type.
  if (!MapDirect(0, 0x100000)) return false;
  for (size_t i = 0; i < info.mem_count; ++i) {
    uint64_t s = info.mem[i].range.start.AlignDown(kPageSize).value();
    const uint64_t e = info.mem[i].range.end.AlignUp(kPageSize).value();
    if (s < 0x100000) s = 0x100000;
    if (s < e && !MapDirect(s, e)) return false;
  }
  Activate();
  HV_INFO("page tables: image W^X, %lu KiB of tables", g_table.pages_used() * 4);
  return true;
}

void Activate() { WriteCr3(g_table.root().value()); }
PhysAddr Root() { return g_table.root(); }
uint64_t PageTablePages() { return g_table.pages_used(); }

volatile void* IoRemap(PhysAddr pa, uint64_t size) {
  const PhysAddr base = pa.AlignDown(kPageSize);
  const uint64_t len = AlignUp(pa.value() + size, kPageSize) - base.value();
  SpinGuard guard(g_lock);
  const uint64_t va = g_ioremap_next;
  if (!Check(g_table.Map(VirtAddr(va), base, len, kMapWrite | kMapUncached), "device memory")) {
    return nullptr;
  }
  g_ioremap_next += len + kPageSize;  // a gap between mappings catches overruns
  return reinterpret_cast<volatile void*>(va + (pa - base));
}

uint64_t MapStack(uint64_t size) {
  SpinGuard guard(g_lock);
  const uint64_t bottom = g_stacks_next + kPageSize;  // the guard page stays unmapped
  for (uint64_t off = 0; off < size; off += kPageSize) {
    const PhysAddr page = heap::AllocZeroedPage();
    if (page.value() == 0 ||
        !Check(g_table.Map(VirtAddr(bottom + off), page, kPageSize, kMapWrite), "a stack")) {
      return 0;
    }
  }
  g_stacks_next = bottom + size;
  return bottom + size;
}

PhysRange ImageRange() { return {PhysAddr(Phys(__image_start)), PhysAddr(Phys(__image_end))}; }

}  // namespace hv::x86::address_space
