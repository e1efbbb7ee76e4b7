// SPDX-License-Identifier: Apache-2.0
// Starting a guest kernel: loading its image into the domain's memory and
// setting vCPU 0's entry state.
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "hv/core/domain.h"

namespace hv::x86 {

enum class [[nodiscard]] BootStatus : uint8_t {
  kOk,
  kBadImage,      // not a valid ELF64 executable or bzImage (the log says why)
  kTooLarge,      // does not fit in the domain's memory
  kOverlapsLow,   // a segment lies in the first 64 KiB, where hv puts tables
  kFault,         // could not write guest memory
};
const char* BootStatusName(BootStatus s);

// An ELF64 test kernel (api/hv/start_info.h says what it gets).
BootStatus BootElf(Domain& d, const uint8_t* image, size_t size, const char* cmdline);

// A Linux bzImage by Linux's 64-bit boot protocol, with an optional initrd,
// on the virtual platform (platform.h): ACPI tables, zero page, E820.
BootStatus BootLinux(Domain& d, const uint8_t* kernel, size_t kernel_size, const uint8_t* initrd,
                     size_t initrd_size, const char* cmdline);

}  // namespace hv::x86
