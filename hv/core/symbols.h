// SPDX-License-Identifier: Apache-2.0
// hv's own symbol table, embedded in the image after linking
// (hv/tools/gen_symbols.py writes it into the .hvsyms section), so that a
// panic report names functions instead of bare addresses.
#pragma once

#include <stddef.h>
#include <stdint.h>

namespace hv::symbols {

// The blob's layout; gen_symbols.py writes exactly this (little-endian).
struct Header {
  char magic[8];  // "HVSYMS1\0"
  uint32_t count;
  uint32_t strings_offset;  // from the start of the blob
  uint32_t total_size;
  uint32_t reserved;
};
static_assert(sizeof(Header) == 24);

struct Entry {
  uint64_t address;
  uint32_t size;         // 0 if unknown: then the entry runs to the next one
  uint32_t name_offset;  // into the strings, NUL-terminated
};
static_assert(sizeof(Entry) == 16);

// Uses the table at blob (of blob_size bytes); an invalid table is ignored
// (Lookup then finds nothing). Returns whether it was accepted.
bool Load(const void* blob, size_t blob_size);
size_t Count();

struct Symbol {
  const char* name;
  uint64_t offset;  // address - symbol start
};
// The function containing address, or {nullptr, 0}.
Symbol Lookup(uint64_t address);

}  // namespace hv::symbols
