// SPDX-License-Identifier: Apache-2.0
#include "hv/core/bzimage.h"

#include <bit>

#include "hv/lib/log.h"

namespace hv {
namespace {

// The structures are read by copying their bytes, which is right only on a
// little-endian machine (hv and its host tests run on x86_64).
static_assert(std::endian::native == std::endian::little);

constexpr uint64_t kMiB = uint64_t{1} << 20;
constexpr uint64_t k2MiB = 2 * kMiB;
constexpr uint64_t k4GiB = uint64_t{1} << 32;
// A bzImage must hold the boot sector and the "HdrS" magic to be recognised.
constexpr size_t kMinSize = 0x206;
// The byte after the short jump at 0x200: the header ends 0x202 bytes past it.
constexpr size_t kJumpOffsetByte = 0x201;
constexpr uint64_t kHeaderEndBase = 0x202;
// No kernel asks for more (CONFIG_PHYSICAL_ALIGN is at most 16 MiB); bounds
// the address arithmetic.
constexpr uint64_t kMaxKernelAlignment = uint64_t{1} << 30;
constexpr uint64_t kMinKernelAlignmentLog2 = 12;

// A setup header field's offset in the zero page.
#define HV_OFFSETOF_SETUP(field) (kSetupHeaderOffset + __builtin_offsetof(LinuxSetupHeader, field))

void Zero(void* p, size_t n) {
  auto* b = static_cast<uint8_t*>(p);
  for (size_t i = 0; i < n; ++i) b[i] = 0;
}

void Copy(void* dst, const void* src, size_t n) {
  auto* d = static_cast<uint8_t*>(dst);
  const auto* s = static_cast<const uint8_t*>(src);
  for (size_t i = 0; i < n; ++i) d[i] = s[i];
}

template <typename T>
T Load(const uint8_t* data, size_t offset) {
  T v;
  Copy(&v, data + offset, sizeof(T));
  return v;
}

template <typename T>
void Store(uint8_t* out, size_t offset, T v) {
  Copy(out + offset, &v, sizeof(T));
}

constexpr bool IsPowerOfTwo(uint64_t v) { return v != 0 && (v & (v - 1)) == 0; }

uint64_t Min(uint64_t a, uint64_t b) { return a < b ? a : b; }
uint64_t Max(uint64_t a, uint64_t b) { return a > b ? a : b; }

// The end of guest RAM below the MMIO hole: where the kernel, the initrd and
// the low tables must lie.
uint64_t LowRamTop(uint64_t mem_bytes) {
  return AlignDown(Min(mem_bytes, kGuestMmioHoleStart), kPageSize);
}

// The recognisers, with the warnings ParseBzImage gives.
BzImageStatus CheckMagic(const uint8_t* data) {
  const uint16_t flag = Load<uint16_t>(data, 0x1FE);
  if (flag != kBootFlag) {
    const bool elf = data[0] == 0x7F && data[1] == 'E' && data[2] == 'L' && data[3] == 'F';
    HV_WARN("bzImage: no boot flag 0xaa55 at 0x1fe (found 0x%x)%s", flag,
            elf ? ": this is an ELF file (a vmlinux?), not a bzImage" : "");
    return BzImageStatus::kNotBzImage;
  }
  const uint32_t magic = Load<uint32_t>(data, 0x202);
  if (magic != kSetupHeaderMagic) {
    HV_WARN("bzImage: no \"HdrS\" setup header magic at 0x202 (found 0x%x)", magic);
    return BzImageStatus::kNotBzImage;
  }
  return BzImageStatus::kOk;
}

// Fields that must make sense whatever the guest's memory.
BzImageStatus CheckFields(const LinuxSetupHeader& h, uint64_t payload_size) {
  const bool relocatable = h.relocatable_kernel != 0;
  if (!IsPowerOfTwo(h.kernel_alignment) || h.kernel_alignment < kPageSize ||
      h.kernel_alignment > kMaxKernelAlignment) {
    HV_WARN("bzImage: kernel_alignment 0x%x is not a power of two in [4 KiB, 1 GiB]",
            h.kernel_alignment);
    return BzImageStatus::kBadHeader;
  }
  // kernel_alignment <= 2^30 here, so a min_alignment above 30 is wrong too
  // (and would shift past 63).
  if (relocatable && (h.min_alignment < kMinKernelAlignmentLog2 || h.min_alignment > 30 ||
                      (uint64_t{1} << h.min_alignment) > h.kernel_alignment)) {
    HV_WARN("bzImage: min_alignment %u is not in [%lu, log2(kernel_alignment 0x%x)]",
            h.min_alignment, kMinKernelAlignmentLog2, h.kernel_alignment);
    return BzImageStatus::kBadHeader;
  }
  if (h.cmdline_size == 0) {
    HV_WARN("bzImage: cmdline_size is 0");
    return BzImageStatus::kBadHeader;
  }
  if (h.initrd_addr_max < kHighMemStart) {
    HV_WARN("bzImage: initrd_addr_max 0x%x is below 1 MiB", h.initrd_addr_max);
    return BzImageStatus::kBadHeader;
  }
  if (h.init_size < payload_size) {
    HV_WARN("bzImage: init_size 0x%x is smaller than the kernel's own code (0x%lx bytes)",
            h.init_size, payload_size);
    return BzImageStatus::kBadHeader;
  }
  if (h.payload_length == 0 || h.payload_offset > payload_size ||
      h.payload_length > payload_size - h.payload_offset) {
    HV_WARN(
        "bzImage: compressed payload [0x%x, +0x%x) is not inside the protected-mode code "
        "(0x%lx bytes)",
        h.payload_offset, h.payload_length, payload_size);
    return BzImageStatus::kBadHeader;
  }
  if (h.pref_address >= kGuestMmioHoleStart) {
    HV_WARN("bzImage: pref_address 0x%lx is not below 0x%lx", h.pref_address, kGuestMmioHoleStart);
    return BzImageStatus::kBadHeader;
  }
  if (!relocatable && (h.pref_address < kHighMemStart || (h.pref_address & (k2MiB - 1)) != 0)) {
    HV_WARN(
        "bzImage: kernel is not relocatable and pref_address 0x%lx is not a 2 MiB-aligned "
        "address above 1 MiB",
        h.pref_address);
    return BzImageStatus::kBadHeader;
  }
  return BzImageStatus::kOk;
}

BzImageStatus Parse(const uint8_t* data, size_t size, uint64_t mem_bytes, BzImage* out) {
  if (data == nullptr || size < kMinSize) {
    HV_WARN("bzImage: image of %zu bytes is too small to be a bzImage (needs 0x%zx bytes)",
            data == nullptr ? 0 : size, kMinSize);
    return BzImageStatus::kTooSmall;
  }
  if (BzImageStatus s = CheckMagic(data); s != BzImageStatus::kOk) return s;
  const uint16_t version = Load<uint16_t>(data, 0x206);
  if (version < kMinBootProtocol) {
    HV_WARN("bzImage: boot protocol %u.%02u is older than 2.12 (no 64-bit entry)", version >> 8,
            version & 0xFF);
    return BzImageStatus::kOldProtocol;
  }
  const uint64_t header_end = kHeaderEndBase + data[kJumpOffsetByte];
  if (header_end < kSetupHeaderMinEnd) {
    HV_WARN("bzImage: setup header ends at 0x%lx, before init_size (0x%lx)", header_end,
            kSetupHeaderMinEnd);
    return BzImageStatus::kBadHeader;
  }
  if (size < header_end) {
    HV_WARN("bzImage: file of %zu bytes ends inside its setup header (to 0x%lx)", size, header_end);
    return BzImageStatus::kTruncated;
  }
  // Fields past the header's end (a shorter, older header) read as 0.
  LinuxSetupHeader h;
  Zero(&h, sizeof(h));
  Copy(&h, data + kSetupHeaderOffset,
       Min(header_end, kSetupHeaderOffset + sizeof(h)) - kSetupHeaderOffset);

  if ((h.xloadflags & kXlfKernel64) == 0) {
    HV_WARN("bzImage: xloadflags 0x%x has no 64-bit entry point (XLF_KERNEL_64)", h.xloadflags);
    return BzImageStatus::kNot64Bit;
  }
  const uint32_t setup_sects = h.setup_sects == 0 ? 4 : h.setup_sects;
  const uint64_t payload_offset = (uint64_t{setup_sects} + 1) * kSectorSize;
  if (size < payload_offset) {
    HV_WARN("bzImage: file of %zu bytes ends inside its setup code (0x%lx bytes)", size,
            payload_offset);
    return BzImageStatus::kTruncated;
  }
  const uint64_t payload_size = uint64_t{h.syssize} * 16;
  if (payload_size == 0) {
    HV_WARN("bzImage: syssize is 0: no protected-mode code");
    return BzImageStatus::kBadHeader;
  }
  if (payload_size > size - payload_offset) {
    HV_WARN(
        "bzImage: truncated: protected-mode code needs 0x%lx bytes from offset 0x%lx, the file "
        "has 0x%lx",
        payload_size, payload_offset, size - payload_offset);
    return BzImageStatus::kTruncated;
  }
  if (BzImageStatus s = CheckFields(h, payload_size); s != BzImageStatus::kOk) return s;

  // pref_address and the alignment are bounded above, so this cannot wrap.
  const uint64_t align = Max(h.kernel_alignment, k2MiB);
  const uint64_t load = h.relocatable_kernel != 0
                            ? AlignUp(Max(h.pref_address, kHighMemStart), align)
                            : h.pref_address;
  const uint64_t end = load + h.init_size;
  const uint64_t top = LowRamTop(mem_bytes);
  if (end > top) {
    HV_WARN(
        "bzImage: kernel larger than the domain's memory: it needs guest RAM [0x%lx, 0x%lx) "
        "(%lu MiB) and the domain has %lu MiB%s",
        load, end, (end + kMiB - 1) / kMiB, mem_bytes / kMiB,
        mem_bytes > top ? " (usable below the MMIO hole: less)" : "");
    return BzImageStatus::kTooLarge;
  }

  out->protocol = version;
  out->xloadflags = h.xloadflags;
  out->relocatable = h.relocatable_kernel != 0;
  out->setup_sects = setup_sects;
  out->payload_offset = payload_offset;
  out->payload_size = payload_size;
  out->load_address = GuestPhysAddr(load);
  out->entry64 = GuestPhysAddr(load + kEntry64Offset);
  out->init_size = h.init_size;
  out->kernel_alignment = h.kernel_alignment;
  out->pref_address = h.pref_address;
  out->cmdline_size = h.cmdline_size;
  out->initrd_addr_max = h.initrd_addr_max;
  out->setup_header_size = Min(header_end, kSetupHeaderCopyEnd) - kSetupHeaderOffset;
  Copy(out->setup_header, data + kSetupHeaderOffset, out->setup_header_size);
  return BzImageStatus::kOk;
}

}  // namespace

const char* BzImageStatusName(BzImageStatus status) {
  switch (status) {
    case BzImageStatus::kOk:
      return "ok";
    case BzImageStatus::kTooSmall:
      return "too small to be a bzImage";
    case BzImageStatus::kNotBzImage:
      return "not a bzImage";
    case BzImageStatus::kOldProtocol:
      return "boot protocol older than 2.12";
    case BzImageStatus::kNot64Bit:
      return "no 64-bit entry point";
    case BzImageStatus::kBadHeader:
      return "bad setup header";
    case BzImageStatus::kTruncated:
      return "truncated";
    case BzImageStatus::kTooLarge:
      return "larger than the domain's memory";
  }
  return "?";
}

const char* LayoutStatusName(LayoutStatus status) {
  switch (status) {
    case LayoutStatus::kOk:
      return "ok";
    case LayoutStatus::kNotParsed:
      return "no parsed kernel";
    case LayoutStatus::kKernelTooLarge:
      return "kernel larger than the domain's memory";
    case LayoutStatus::kCmdlineTooLong:
      return "command line too long";
    case LayoutStatus::kInitrdTooLarge:
      return "initrd does not fit";
  }
  return "?";
}

const char* ZeroPageStatusName(ZeroPageStatus status) {
  switch (status) {
    case ZeroPageStatus::kOk:
      return "ok";
    case ZeroPageStatus::kNotParsed:
      return "no parsed kernel";
    case ZeroPageStatus::kBadE820:
      return "bad E820 map";
    case ZeroPageStatus::kCmdlineTooLong:
      return "command line too long";
    case ZeroPageStatus::kCmdlineTooHigh:
      return "command line above 4 GiB";
    case ZeroPageStatus::kInitrdTooHigh:
      return "initrd above initrd_addr_max";
  }
  return "?";
}

bool LooksLikeBzImage(const uint8_t* data, size_t size) {
  return data != nullptr && size >= kMinSize && Load<uint16_t>(data, 0x1FE) == kBootFlag &&
         Load<uint32_t>(data, 0x202) == kSetupHeaderMagic;
}

BzImageStatus ParseBzImage(const uint8_t* data, size_t size, uint64_t guest_mem_bytes,
                           BzImage* out) {
  *out = BzImage{};
  const BzImageStatus status = Parse(data, size, guest_mem_bytes, out);
  if (status != BzImageStatus::kOk) *out = BzImage{};
  return status;
}

void BuildBootPageTables(uint64_t base, uint8_t* out) {
  constexpr uint64_t kPresent = 1, kWritable = 2, kLarge = 0x80;
  Zero(out, kBootPageTablesSize);
  const uint64_t pdpt = base + kPageSize;
  const uint64_t pd = base + 2 * kPageSize;
  Store<uint64_t>(out, 0, pdpt | kPresent | kWritable);
  for (uint64_t i = 0; i < 4; ++i) {
    Store<uint64_t>(out, kPageSize + 8 * i, (pd + i * kPageSize) | kPresent | kWritable);
  }
  for (uint64_t i = 0; i < 4 * 512; ++i) {
    Store<uint64_t>(out, 2 * kPageSize + 8 * i, (i * k2MiB) | kPresent | kWritable | kLarge);
  }
}

LayoutStatus PlanGuestLayout(uint64_t mem_bytes, const BzImage& kernel, uint64_t initrd_size,
                             uint64_t cmdline_len, GuestLayout* out) {
  *out = GuestLayout{};
  if (kernel.init_size == 0) {
    HV_WARN("layout: no parsed kernel");
    return LayoutStatus::kNotParsed;
  }
  const uint64_t top = LowRamTop(mem_bytes);
  const uint64_t kernel_end = kernel.load_address.value() + kernel.init_size;
  if (kernel.load_address.value() < kHighMemStart || kernel_end > top) {
    HV_WARN("layout: kernel [0x%lx, 0x%lx) is not inside guest RAM [1 MiB, 0x%lx)",
            kernel.load_address.value(), kernel_end, top);
    return LayoutStatus::kKernelTooLarge;
  }
  const uint64_t cmdline_max = Min(kernel.cmdline_size, kBootCmdlineMax - 1);
  if (cmdline_len > cmdline_max) {
    HV_WARN("layout: command line of %lu bytes is longer than the %lu the kernel takes",
            cmdline_len, cmdline_max);
    return LayoutStatus::kCmdlineTooLong;
  }
  GuestLayout l{};
  if (initrd_size != 0) {
    // The highest byte the initrd may occupy is initrd_addr_max.
    const uint64_t initrd_top =
        AlignDown(Min(top, uint64_t{kernel.initrd_addr_max} + 1), kPageSize);
    const uint64_t start =
        initrd_size <= initrd_top ? AlignDown(initrd_top - initrd_size, kPageSize) : 0;
    if (initrd_size > initrd_top || start < AlignUp(kernel_end, kPageSize)) {
      HV_WARN(
          "layout: initrd of %lu MiB does not fit between the kernel's end (0x%lx) and 0x%lx "
          "(initrd_addr_max 0x%x, guest RAM to 0x%lx)",
          (initrd_size + kMiB - 1) / kMiB, kernel_end, initrd_top, kernel.initrd_addr_max, top);
      return LayoutStatus::kInitrdTooLarge;
    }
    l.initrd = GuestPhysAddr(start);
    l.initrd_size = initrd_size;
  }
  l.page_tables = GuestPhysAddr(kBootPageTables);
  l.gdt = GuestPhysAddr(kBootGdt);
  l.stack_top = GuestPhysAddr(kBootStackTop);
  l.zero_page = GuestPhysAddr(kBootZeroPage);
  l.cmdline = GuestPhysAddr(kBootCmdline);
  l.cmdline_len = cmdline_len;
  l.acpi = GuestPhysAddr(kBootAcpi);
  l.acpi_max = kBootAcpiMax;
  l.kernel = kernel.load_address;
  l.kernel_size = kernel.init_size;
  l.entry = kernel.entry64;
  l.e820[l.e820_count++] = {0, kLowRamEnd, kE820Ram};
  l.e820[l.e820_count++] = {kLowRamEnd, kHighMemStart - kLowRamEnd, kE820Reserved};
  l.e820[l.e820_count++] = {kHighMemStart, top - kHighMemStart, kE820Ram};
  const uint64_t high_top = AlignDown(mem_bytes, kPageSize);
  if (high_top > kGuestMmioHoleEnd) {
    l.e820[l.e820_count++] = {kGuestMmioHoleEnd, high_top - kGuestMmioHoleEnd, kE820Ram};
  }
  *out = l;
  return LayoutStatus::kOk;
}

ZeroPageStatus BuildZeroPage(const BzImage& kernel, const ZeroPageParams& p, uint8_t* out) {
  Zero(out, kZeroPageSize);
  if (kernel.init_size == 0 || kernel.setup_header_size == 0) {
    HV_WARN("zero page: no parsed kernel");
    return ZeroPageStatus::kNotParsed;
  }
  if (p.e820 == nullptr || p.e820_count == 0 || p.e820_count > kZpE820Max) {
    HV_WARN("zero page: %zu E820 entries, expected 1..%zu", p.e820 == nullptr ? 0 : p.e820_count,
            kZpE820Max);
    return ZeroPageStatus::kBadE820;
  }
  if (p.cmdline_len > kernel.cmdline_size || (p.cmdline_len != 0 && p.cmdline.value() == 0)) {
    HV_WARN("zero page: command line of %lu bytes at 0x%lx (the kernel takes %u)", p.cmdline_len,
            p.cmdline.value(), kernel.cmdline_size);
    return ZeroPageStatus::kCmdlineTooLong;
  }
  const bool above_4g_ok = (kernel.xloadflags & kXlfCanBeLoadedAbove4G) != 0;
  // The kernel reads cmdline_len + 1 bytes (the NUL); wrapping is "too high" too.
  const uint64_t cmdline_last = p.cmdline.value() + p.cmdline_len;
  if (cmdline_last < p.cmdline.value() || (cmdline_last >= k4GiB && !above_4g_ok)) {
    HV_WARN("zero page: command line at 0x%lx is above 4 GiB and the kernel cannot take it there",
            p.cmdline.value());
    return ZeroPageStatus::kCmdlineTooHigh;
  }
  if (p.initrd_size != 0) {
    const uint64_t start = p.initrd.value();
    const uint64_t last = start + p.initrd_size - 1;
    if (last < start || (!above_4g_ok && last > kernel.initrd_addr_max)) {
      HV_WARN("zero page: initrd [0x%lx, +0x%lx) ends above initrd_addr_max 0x%x", start,
              p.initrd_size, kernel.initrd_addr_max);
      return ZeroPageStatus::kInitrdTooHigh;
    }
  }

  Copy(out + kSetupHeaderOffset, kernel.setup_header, kernel.setup_header_size);
  out[HV_OFFSETOF_SETUP(type_of_loader)] = kTypeOfLoaderUndefined;
  out[HV_OFFSETOF_SETUP(loadflags)] = kLoadflagLoadedHigh;
  Store<uint32_t>(out, HV_OFFSETOF_SETUP(hardware_subarch), 0);
  Store<uint64_t>(out, HV_OFFSETOF_SETUP(hardware_subarch_data), 0);
  Store<uint64_t>(out, HV_OFFSETOF_SETUP(setup_data), 0);
  Store<uint16_t>(out, HV_OFFSETOF_SETUP(heap_end_ptr), 0);
  out[HV_OFFSETOF_SETUP(ext_loader_ver)] = 0;
  out[HV_OFFSETOF_SETUP(ext_loader_type)] = 0;

  if (p.initrd_size != 0) {
    Store<uint32_t>(out, HV_OFFSETOF_SETUP(ramdisk_image), static_cast<uint32_t>(p.initrd.value()));
    Store<uint32_t>(out, HV_OFFSETOF_SETUP(ramdisk_size), static_cast<uint32_t>(p.initrd_size));
    Store<uint32_t>(out, kZpExtRamdiskImage, static_cast<uint32_t>(p.initrd.value() >> 32));
    Store<uint32_t>(out, kZpExtRamdiskSize, static_cast<uint32_t>(p.initrd_size >> 32));
  } else {
    Store<uint32_t>(out, HV_OFFSETOF_SETUP(ramdisk_image), 0);
    Store<uint32_t>(out, HV_OFFSETOF_SETUP(ramdisk_size), 0);
  }
  Store<uint32_t>(out, HV_OFFSETOF_SETUP(cmd_line_ptr), static_cast<uint32_t>(p.cmdline.value()));
  Store<uint32_t>(out, kZpExtCmdLinePtr, static_cast<uint32_t>(p.cmdline.value() >> 32));
  Store<uint64_t>(out, kZpAcpiRsdpAddr, p.acpi_rsdp.value());
  out[kZpE820Entries] = static_cast<uint8_t>(p.e820_count);
  Copy(out + kZpE820Table, p.e820, p.e820_count * sizeof(BootE820Entry));
  out[kZpSentinel] = 0;  // already, since the header is copied from 0x1F1 on
  return ZeroPageStatus::kOk;
}

}  // namespace hv
