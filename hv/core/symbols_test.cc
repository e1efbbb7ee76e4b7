// SPDX-License-Identifier: Apache-2.0
#include "hv/core/symbols.h"

#include <gtest/gtest.h>

#include <cstring>
#include <string>
#include <vector>

namespace hv::symbols {
namespace {

// Builds a blob the way hv/tools/gen_symbols.py does.
std::vector<uint8_t> Blob(const std::vector<std::tuple<uint64_t, uint32_t, std::string>>& syms) {
  std::string strings;
  std::vector<Entry> entries;
  for (const auto& [addr, size, name] : syms) {
    entries.push_back({addr, size, static_cast<uint32_t>(strings.size())});
    strings += name;
    strings += '\0';
  }
  Header h{};
  std::memcpy(h.magic, "HVSYMS1", 8);
  h.count = entries.size();
  h.strings_offset = sizeof(Header) + entries.size() * sizeof(Entry);
  h.total_size = h.strings_offset + strings.size();
  std::vector<uint8_t> blob(h.total_size);
  std::memcpy(blob.data(), &h, sizeof(h));
  std::memcpy(blob.data() + sizeof(h), entries.data(), entries.size() * sizeof(Entry));
  std::memcpy(blob.data() + h.strings_offset, strings.data(), strings.size());
  return blob;
}

TEST(Symbols, FindsTheContainingFunction) {
  auto blob = Blob({{0x1000, 0x20, "a"}, {0x1020, 0x10, "b"}, {0x2000, 0, "c"}});
  ASSERT_TRUE(Load(blob.data(), blob.size()));
  EXPECT_EQ(Count(), 3u);
  EXPECT_STREQ(Lookup(0x1000).name, "a");
  EXPECT_EQ(Lookup(0x101f).offset, 0x1fu);
  EXPECT_STREQ(Lookup(0x1025).name, "b");
  EXPECT_EQ(Lookup(0x1030).name, nullptr);  // past b's size: a gap
  EXPECT_STREQ(Lookup(0x9000).name, "c");   // no size: runs to the end
  EXPECT_EQ(Lookup(0xfff).name, nullptr);   // before the first
}

TEST(Symbols, RejectsBadBlobs) {
  auto good = Blob({{0x1000, 0x20, "a"}});
  auto bad_magic = good;
  bad_magic[0] = 'X';
  EXPECT_FALSE(Load(bad_magic.data(), bad_magic.size()));
  EXPECT_EQ(Lookup(0x1000).name, nullptr);
  EXPECT_FALSE(Load(good.data(), sizeof(Header) - 1));  // truncated header
  EXPECT_FALSE(Load(good.data(), good.size() - 1));     // total_size beyond the blob
  auto huge_count = good;
  reinterpret_cast<Header*>(huge_count.data())->count = 0x10000000;
  EXPECT_FALSE(Load(huge_count.data(), huge_count.size()));
  std::vector<uint8_t> zeros(4096, 0);  // what an image not yet filled holds
  EXPECT_FALSE(Load(zeros.data(), zeros.size()));
}

TEST(Symbols, NameOffsetOutsideStringsIsIgnored) {
  auto blob = Blob({{0x1000, 0x20, "a"}});
  reinterpret_cast<Entry*>(blob.data() + sizeof(Header))->name_offset = 1000;
  ASSERT_TRUE(Load(blob.data(), blob.size()));
  EXPECT_EQ(Lookup(0x1000).name, nullptr);
}

}  // namespace
}  // namespace hv::symbols
