// SPDX-License-Identifier: Apache-2.0
#include "hv/core/symbols.h"

namespace hv::symbols {
namespace {

const Entry* g_entries = nullptr;
const char* g_strings = nullptr;
uint32_t g_count = 0;
uint32_t g_strings_size = 0;

}  // namespace

bool Load(const void* blob, size_t blob_size) {
  g_entries = nullptr;
  g_count = 0;
  if (blob_size < sizeof(Header)) return false;
  const auto* h = static_cast<const Header*>(blob);
  static constexpr char kMagic[8] = {'H', 'V', 'S', 'Y', 'M', 'S', '1', '\0'};
  for (int i = 0; i < 8; ++i) {
    if (h->magic[i] != kMagic[i]) return false;
  }
  const uint64_t entries_end = sizeof(Header) + uint64_t{h->count} * sizeof(Entry);
  if (h->total_size > blob_size || entries_end > h->strings_offset ||
      h->strings_offset > h->total_size) {
    return false;
  }
  const auto* base = static_cast<const char*>(blob);
  g_entries = reinterpret_cast<const Entry*>(base + sizeof(Header));
  g_strings = base + h->strings_offset;
  g_strings_size = h->total_size - h->strings_offset;
  g_count = h->count;
  return true;
}

size_t Count() { return g_count; }

Symbol Lookup(uint64_t address) {
  if (!g_count || address < g_entries[0].address) return {nullptr, 0};
  // The last entry whose address is <= address.
  uint32_t lo = 0, hi = g_count;
  while (hi - lo > 1) {
    const uint32_t mid = lo + (hi - lo) / 2;
    if (g_entries[mid].address <= address) {
      lo = mid;
    } else {
      hi = mid;
    }
  }
  const Entry& e = g_entries[lo];
  const uint64_t offset = address - e.address;
  if (e.size && offset >= e.size) return {nullptr, 0};
  if (e.name_offset >= g_strings_size) return {nullptr, 0};
  return {g_strings + e.name_offset, offset};
}

}  // namespace hv::symbols
