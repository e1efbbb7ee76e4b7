// SPDX-License-Identifier: Apache-2.0
// Reserves the .hvsyms section that the build fills with the symbol table
// after linking (see hv/tools/gen_symbols.py and bazel/kernel_image.bzl).
#include <stdint.h>

namespace {
constexpr uint32_t kSymbolTableSize = 256 * 1024;
}  // namespace

// `extern` because a const at namespace scope would otherwise be internal.
extern "C" {
extern const uint8_t hv_symbol_table[kSymbolTableSize];
extern const uint32_t hv_symbol_table_size;
[[gnu::section(".hvsyms"), gnu::used, gnu::aligned(4096)]] const uint8_t
    hv_symbol_table[kSymbolTableSize] = {1};
const uint32_t hv_symbol_table_size = kSymbolTableSize;
}
