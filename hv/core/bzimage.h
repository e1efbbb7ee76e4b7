// SPDX-License-Identifier: Apache-2.0
// Linux bzImage kernels for domains: the setup header checked against the
// domain's memory (the Linux x86 boot protocol, Documentation/x86/boot.rst,
// 64-bit entry), the guest-physical layout hv gives such a guest, and the
// 4 KiB "zero page" (struct boot_params, arch/x86/include/uapi/asm/
// bootparam.h) with its E820 map. Host-testable: nothing here writes guest
// memory; the loader copies what these functions describe.
//
// What hv accepts (ParseBzImage): the 0xAA55 boot flag at 0x1FE and "HdrS" at
// 0x202; boot protocol >= 2.12 (0x020C) with XLF_KERNEL_64 (a 64-bit entry at
// load + 0x200), as Firecracker does; a setup header that reaches init_size
// (0x264) and lies in the file; setup code of (setup_sects + 1) * 512 bytes
// (setup_sects 0 means 4) followed by syssize * 16 bytes of protected-mode
// code, all inside the file (bytes after it, such as the signature a signed
// Debian kernel carries, are ignored); the compressed payload inside that
// code; a power-of-two kernel_alignment (and min_alignment, if relocatable);
// a non-zero cmdline_size; initrd_addr_max at or above 1 MiB; init_size at
// least the code's size. The kernel is placed at a 2 MiB-aligned address at
// or above pref_address (16 MiB for Debian's) and 1 MiB, and
// [load, load + init_size) must be guest RAM below the MMIO hole. A 64-bit
// relocatable kernel loaded below its LOAD_PHYSICAL_ADDR (= pref_address)
// moves itself up to it (arch/x86/boot/compressed/head_64.S), so a lower
// address would not save any memory.
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "hv/lib/addr.h"

namespace hv {

// --- The setup header, at file offset 0x1F1 and at zero page offset 0x1F1. ---

inline constexpr uint64_t kSetupHeaderOffset = 0x1F1;
inline constexpr uint16_t kBootFlag = 0xAA55;              // at 0x1FE
inline constexpr uint32_t kSetupHeaderMagic = 0x53726448;  // "HdrS" at 0x202
inline constexpr uint16_t kMinBootProtocol = 0x020C;
inline constexpr uint64_t kSectorSize = 512;
// The 64-bit entry point is this far into the protected-mode code.
inline constexpr uint64_t kEntry64Offset = 0x200;

// loadflags (0x211)
inline constexpr uint8_t kLoadflagLoadedHigh = 1u << 0;
// xloadflags (0x236)
inline constexpr uint16_t kXlfKernel64 = 1u << 0;
inline constexpr uint16_t kXlfCanBeLoadedAbove4G = 1u << 1;
// type_of_loader (0x210): "undefined" boot loader; 0 would make the kernel
// ignore the initrd (arch/x86/kernel/setup.c).
inline constexpr uint8_t kTypeOfLoaderUndefined = 0xFF;

struct [[gnu::packed]] LinuxSetupHeader {
  uint8_t setup_sects;
  uint16_t root_flags;
  uint32_t syssize;  // protected-mode code, 16-byte paragraphs
  uint16_t ram_size;
  uint16_t vid_mode;
  uint16_t root_dev;
  uint16_t boot_flag;  // kBootFlag
  uint16_t jump;       // a short jump; its second byte + 0x202 ends the header
  uint32_t header;     // kSetupHeaderMagic
  uint16_t version;
  uint32_t realmode_swtch;
  uint16_t start_sys_seg;
  uint16_t kernel_version;
  uint8_t type_of_loader;
  uint8_t loadflags;
  uint16_t setup_move_size;
  uint32_t code32_start;
  uint32_t ramdisk_image;
  uint32_t ramdisk_size;
  uint32_t bootsect_kludge;
  uint16_t heap_end_ptr;
  uint8_t ext_loader_ver;
  uint8_t ext_loader_type;
  uint32_t cmd_line_ptr;
  uint32_t initrd_addr_max;  // highest address the initrd may occupy
  uint32_t kernel_alignment;
  uint8_t relocatable_kernel;
  uint8_t min_alignment;  // log2
  uint16_t xloadflags;
  uint32_t cmdline_size;  // without the terminating NUL
  uint32_t hardware_subarch;
  uint64_t hardware_subarch_data;
  uint32_t payload_offset;  // of the compressed kernel, from the protected-mode code
  uint32_t payload_length;
  uint64_t setup_data;
  uint64_t pref_address;
  uint32_t init_size;  // memory the kernel needs from its load address on
  uint32_t handover_offset;
  uint32_t kernel_info_offset;
};
// Offsets are pinned as in the zero page (and the file): 0x1F1 + offsetof.
#define HV_SETUP_AT(field) (kSetupHeaderOffset + __builtin_offsetof(LinuxSetupHeader, field))
static_assert(sizeof(LinuxSetupHeader) == 0x26C - 0x1F1);
static_assert(HV_SETUP_AT(syssize) == 0x1F4);
static_assert(HV_SETUP_AT(boot_flag) == 0x1FE);
static_assert(HV_SETUP_AT(jump) == 0x200);
static_assert(HV_SETUP_AT(header) == 0x202);
static_assert(HV_SETUP_AT(version) == 0x206);
static_assert(HV_SETUP_AT(type_of_loader) == 0x210);
static_assert(HV_SETUP_AT(loadflags) == 0x211);
static_assert(HV_SETUP_AT(code32_start) == 0x214);
static_assert(HV_SETUP_AT(ramdisk_image) == 0x218);
static_assert(HV_SETUP_AT(ramdisk_size) == 0x21C);
static_assert(HV_SETUP_AT(heap_end_ptr) == 0x224);
static_assert(HV_SETUP_AT(cmd_line_ptr) == 0x228);
static_assert(HV_SETUP_AT(initrd_addr_max) == 0x22C);
static_assert(HV_SETUP_AT(kernel_alignment) == 0x230);
static_assert(HV_SETUP_AT(relocatable_kernel) == 0x234);
static_assert(HV_SETUP_AT(min_alignment) == 0x235);
static_assert(HV_SETUP_AT(xloadflags) == 0x236);
static_assert(HV_SETUP_AT(cmdline_size) == 0x238);
static_assert(HV_SETUP_AT(hardware_subarch) == 0x23C);
static_assert(HV_SETUP_AT(hardware_subarch_data) == 0x240);
static_assert(HV_SETUP_AT(payload_offset) == 0x248);
static_assert(HV_SETUP_AT(payload_length) == 0x24C);
static_assert(HV_SETUP_AT(setup_data) == 0x250);
static_assert(HV_SETUP_AT(pref_address) == 0x258);
static_assert(HV_SETUP_AT(init_size) == 0x260);
static_assert(HV_SETUP_AT(handover_offset) == 0x264);
static_assert(HV_SETUP_AT(kernel_info_offset) == 0x268);
#undef HV_SETUP_AT

// The header hv needs reaches init_size; anything shorter is refused.
inline constexpr uint64_t kSetupHeaderMinEnd = 0x264;
// The setup header is copied up to where the zero page's next field
// (edd_mbr_sig_buffer, 0x290) starts, however long the file says it is.
inline constexpr uint64_t kSetupHeaderCopyEnd = 0x290;
inline constexpr size_t kSetupHeaderCopyMax = kSetupHeaderCopyEnd - kSetupHeaderOffset;

// --- The zero page (struct boot_params). ---

inline constexpr size_t kZeroPageSize = 4096;
inline constexpr size_t kZpAcpiRsdpAddr = 0x070;     // u64
inline constexpr size_t kZpExtRamdiskImage = 0x0C0;  // u32, bits 63:32
inline constexpr size_t kZpExtRamdiskSize = 0x0C4;   // u32, bits 63:32
inline constexpr size_t kZpExtCmdLinePtr = 0x0C8;    // u32, bits 63:32
inline constexpr size_t kZpE820Entries = 0x1E8;      // u8
inline constexpr size_t kZpSentinel = 0x1EF;         // u8, must be 0
inline constexpr size_t kZpE820Table = 0x2D0;        // BootE820Entry[128]
inline constexpr size_t kZpE820Max = 128;

inline constexpr uint32_t kE820Ram = 1;
inline constexpr uint32_t kE820Reserved = 2;
inline constexpr uint32_t kE820Acpi = 3;
inline constexpr uint32_t kE820Nvs = 4;
inline constexpr uint32_t kE820Unusable = 5;

struct [[gnu::packed]] BootE820Entry {
  uint64_t addr;
  uint64_t size;
  uint32_t type;  // kE820*
};
static_assert(sizeof(BootE820Entry) == 20);
static_assert(__builtin_offsetof(BootE820Entry, size) == 8);
static_assert(__builtin_offsetof(BootE820Entry, type) == 16);
static_assert(kZpE820Table + kZpE820Max * sizeof(BootE820Entry) <= kZeroPageSize);

// --- The guest's physical layout. ---

// Guest RAM in [kGuestMmioHoleStart, 4 GiB) is never given to a Linux guest:
// the IOAPIC (0xFEC00000) and the local APICs (0xFEE00000) live there. Guest
// memory is [0, memory_bytes) (domain.h), so a domain with more than this
// loses the RAM under the hole; the E820 map goes on at 4 GiB.
inline constexpr uint64_t kGuestMmioHoleStart = 0xFEC00000;
inline constexpr uint64_t kGuestMmioHoleEnd = uint64_t{1} << 32;

// Low memory. Linux 6.1 reserves all of [0, 1 MiB) early (reserve_real_mode),
// so nothing placed here is ever overwritten by the kernel proper. The
// decompressor borrows (and restores) two pages below 0x9F000 when the BDA is
// zero, as hv leaves it: [0x9D000, 0x9F000) is kept free.
inline constexpr uint64_t kBootPageTables = 0x1000;  // PML4, PDPT, 4 PDs: 0x1000-0x6FFF
inline constexpr uint64_t kBootPageTablesSize = 6 * 4096;
inline constexpr uint64_t kBootGdt = 0x7000;
inline constexpr uint64_t kBootStackTop = 0x10000;  // stack in [0x8000, 0x10000)
inline constexpr uint64_t kBootZeroPage = 0x10000;
inline constexpr uint64_t kBootCmdline = 0x20000;
inline constexpr uint64_t kBootCmdlineMax = 0x10000;  // bytes, the NUL included
inline constexpr uint64_t kBootAcpi = 0xE0000;        // the RSDP first (as Firecracker)
inline constexpr uint64_t kBootAcpiMax = 0x20000;     // to 1 MiB
inline constexpr uint64_t kLowRamEnd = 0x9FC00;       // E820: RAM below, reserved above
inline constexpr uint64_t kHighMemStart = 0x100000;   // 1 MiB

// The GDT at kBootGdt: boot.rst's __BOOT_CS (0x10) and __BOOT_DS (0x18),
// flat; CS is 64-bit code (L=1, D=0). 6.1's startup_64 reloads them anyway.
inline constexpr uint16_t kBootCs = 0x10;
inline constexpr uint16_t kBootDs = 0x18;
inline constexpr uint64_t kLinuxBootGdt[4] = {0, 0, 0x00AF9B000000FFFF, 0x00CF93000000FFFF};

// Writes the boot page tables for base = kBootPageTables (PML4 at base, PDPT
// at base + 4 KiB, four PDs after it): an identity map of [0, 4 GiB) with
// 2 MiB pages, present and writable. out holds kBootPageTablesSize bytes.
void BuildBootPageTables(uint64_t base, uint8_t* out);

// --- Parsing. ---

// Every member has an initializer, so a static BzImage is constant-
// initialized (no global constructor).
struct BzImage {
  uint16_t protocol = 0;    // boot protocol version, e.g. 0x020F
  uint16_t xloadflags = 0;  // kXlf*
  bool relocatable = false;
  uint32_t setup_sects = 0;  // normalized: a 0 in the file reads 4
  // The protected-mode code: copy file bytes [payload_offset,
  // payload_offset + payload_size) to load_address.
  uint64_t payload_offset = 0;  // (setup_sects + 1) * 512
  uint64_t payload_size = 0;    // syssize * 16, > 0
  GuestPhysAddr load_address;   // 2 MiB aligned, >= 1 MiB
  GuestPhysAddr entry64;        // load_address + 0x200
  uint32_t init_size = 0;       // [load_address, + init_size) is guest RAM; 0 = not parsed
  uint32_t kernel_alignment = 0;
  uint64_t pref_address = 0;
  uint32_t cmdline_size = 0;     // longest command line, NUL not counted
  uint32_t initrd_addr_max = 0;  // highest byte an initrd may occupy (below 4 GiB)
  // The setup header's bytes from 0x1F1, for the zero page.
  uint8_t setup_header[kSetupHeaderCopyMax] = {};
  size_t setup_header_size = 0;
};

enum class [[nodiscard]] BzImageStatus : uint8_t{
    kOk,
    kTooSmall,     // null, or shorter than the boot sector and the "HdrS" magic (0x206 bytes)
    kNotBzImage,   // no 0xAA55 boot flag at 0x1FE, or no "HdrS" at 0x202
    kOldProtocol,  // boot protocol below 2.12
    kNot64Bit,     // no 64-bit entry point (xloadflags bit 0)
    kBadHeader,    // a setup header field is impossible (sizes, alignment, addresses)
    kTruncated,    // the file ends inside its setup header, setup code or protected-mode code
    kTooLarge,     // [load, load + init_size) does not fit in the domain's memory
};
const char* BzImageStatusName(BzImageStatus status);

// True if data[0, size) has the boot flag and "HdrS" (nothing more is
// checked): tells a bzImage from an ELF kernel. data may be null.
bool LooksLikeBzImage(const uint8_t* data, size_t size);

// Checks the bzImage data[0, size) for a guest with guest_mem_bytes of RAM at
// guest-physical 0 and describes it in *out, which is fully overwritten (all
// zero on error). Every rejection is logged with HV_WARN naming the problem.
// data may be null (kTooSmall); it is only read inside [0, size).
BzImageStatus ParseBzImage(const uint8_t* data, size_t size, uint64_t guest_mem_bytes,
                           BzImage* out);

// --- Where everything goes. ---

inline constexpr size_t kMaxGuestE820 = 4;

struct GuestLayout {
  GuestPhysAddr page_tables;  // kBootPageTables (BuildBootPageTables)
  GuestPhysAddr gdt;          // kLinuxBootGdt, selectors kBootCs/kBootDs
  GuestPhysAddr stack_top;    // RSP at entry
  GuestPhysAddr zero_page;    // RSI at entry
  GuestPhysAddr cmdline;      // cmdline_len bytes and a NUL
  uint64_t cmdline_len = 0;
  GuestPhysAddr acpi;  // the RSDP, then the tables (guest_acpi.h), up to acpi_max bytes
  uint64_t acpi_max = 0;
  GuestPhysAddr kernel;      // = BzImage::load_address
  uint64_t kernel_size = 0;  // init_size: the kernel's whole footprint
  GuestPhysAddr entry;       // = BzImage::entry64
  GuestPhysAddr initrd;      // 0 without an initrd
  uint64_t initrd_size = 0;
  BootE820Entry e820[kMaxGuestE820] = {};
  size_t e820_count = 0;
};

enum class [[nodiscard]] LayoutStatus : uint8_t{
    kOk,
    kNotParsed,       // the BzImage is empty (ParseBzImage failed or was not called)
    kKernelTooLarge,  // [load, load + init_size) is not guest RAM below the MMIO hole
    kCmdlineTooLong,  // longer than the kernel's cmdline_size (or hv's 64 KiB area)
    kInitrdTooLarge,  // no room between the kernel's end and min(initrd_addr_max, RAM)
};
const char* LayoutStatusName(LayoutStatus status);

// Plans a Linux guest of mem_bytes: the low-memory tables above, the kernel
// at its load address, the initrd (if initrd_size > 0) page aligned as high as
// it goes below initrd_addr_max, the RAM top and the MMIO hole, above the
// kernel's init_size; and the E820 map: RAM [0, 0x9FC00), reserved
// [0x9FC00, 1 MiB) (memory-backed: ACPI tables, DMI scans), RAM from 1 MiB to
// min(mem, kGuestMmioHoleStart), RAM [4 GiB, mem) if mem is above 4 GiB.
// cmdline_len excludes the NUL. *out is fully overwritten (zero on error).
LayoutStatus PlanGuestLayout(uint64_t mem_bytes, const BzImage& kernel, uint64_t initrd_size,
                             uint64_t cmdline_len, GuestLayout* out);

// --- The zero page. ---

struct ZeroPageParams {
  GuestPhysAddr cmdline;     // 0: no command line
  uint64_t cmdline_len = 0;  // without the NUL
  GuestPhysAddr initrd;
  uint64_t initrd_size = 0;  // 0: no initrd
  const BootE820Entry* e820 = nullptr;
  size_t e820_count = 0;    // 1..128
  GuestPhysAddr acpi_rsdp;  // 0: none given (the kernel scans 0xE0000-0xFFFFF)
};

enum class [[nodiscard]] ZeroPageStatus : uint8_t{
    kOk,
    kNotParsed,       // the BzImage is empty
    kBadE820,         // no entries, more than 128, or a null table
    kCmdlineTooLong,  // cmdline_len above the kernel's cmdline_size, or no address for it
    kCmdlineTooHigh,  // at or above 4 GiB, and the kernel lacks XLF_CAN_BE_LOADED_ABOVE_4G
    kInitrdTooHigh,   // past initrd_addr_max (or 4 GiB) without XLF_CAN_BE_LOADED_ABOVE_4G
};
const char* ZeroPageStatusName(ZeroPageStatus status);

// Builds the zero page in out[0, 4096): all zero, the setup header copied to
// 0x1F1, type_of_loader 0xFF, loadflags LOADED_HIGH only, hardware_subarch
// and setup_data 0, ramdisk_image/size and cmd_line_ptr (their high halves in
// ext_* when above 4 GiB), acpi_rsdp_addr, the E820 table; the sentinel at
// 0x1EF stays 0 (sanitize_boot_params() would wipe acpi_rsdp_addr and ext_*
// otherwise). out is all zero on error.
ZeroPageStatus BuildZeroPage(const BzImage& kernel, const ZeroPageParams& params, uint8_t* out);

}  // namespace hv
