// SPDX-License-Identifier: Apache-2.0
#include "hv/arch/x86/testing/fake_phys.h"

#include <algorithm>
#include <fstream>
#include <iterator>

namespace hv::x86::testing {

void FakePhys::Add(PhysAddr pa, const std::vector<uint8_t>& bytes) {
  Add(pa, bytes.data(), bytes.size());
}

void FakePhys::Add(PhysAddr pa, const void* bytes, size_t len) {
  if (len == 0) return;
  // Inclusive bounds, so that a region may end at 2^64 exactly.
  uint64_t first = pa.value();
  uint64_t last = first + (len - 1);
  if (last < first) return;  // would wrap: tests never need that
  constexpr uint64_t kMax = ~uint64_t{0};
  auto touches = [&](uint64_t r_first, uint64_t r_last) {
    return (last == kMax || r_first <= last + 1) && (r_last == kMax || first <= r_last + 1);
  };
  // Absorb every region that overlaps or touches [first, last].
  std::vector<std::pair<uint64_t, std::vector<uint8_t>>> absorbed;
  auto it = regions_.upper_bound(first);
  if (it != regions_.begin()) --it;
  while (it != regions_.end()) {
    const uint64_t r_last = it->first + (it->second.size() - 1);
    if (touches(it->first, r_last)) {
      first = std::min(first, it->first);
      last = std::max(last, r_last);
      absorbed.emplace_back(it->first, std::move(it->second));
      it = regions_.erase(it);
    } else if (it->first > last) {
      break;
    } else {
      ++it;
    }
  }
  std::vector<uint8_t> merged(last - first + 1, 0);
  for (const auto& [r_first, r_bytes] : absorbed) {
    std::copy(r_bytes.begin(), r_bytes.end(), merged.begin() + (r_first - first));
  }
  const auto* src = static_cast<const uint8_t*>(bytes);
  std::copy(src, src + len, merged.begin() + (pa.value() - first));
  regions_.emplace(first, std::move(merged));
}

void FakePhys::AddZeros(PhysAddr pa, size_t len) { Add(pa, std::vector<uint8_t>(len, 0)); }

bool FakePhys::AddFile(PhysAddr pa, const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return false;
  std::vector<uint8_t> bytes((std::istreambuf_iterator<char>(in)),
                             std::istreambuf_iterator<char>());
  if (in.bad()) return false;
  Add(pa, bytes);
  return true;
}

uint8_t* FakePhys::Mutable(PhysAddr pa, uint64_t len) {
  return static_cast<uint8_t*>(const_cast<void*>(Map(pa, len)));
}

const void* FakePhys::Map(PhysAddr pa, uint64_t len) const {
  const uint64_t n = len == 0 ? 1 : len;
  auto it = regions_.upper_bound(pa.value());
  if (it == regions_.begin()) return nullptr;
  --it;
  const uint64_t offset = pa.value() - it->first;
  const uint64_t size = it->second.size();
  if (offset >= size || n > size - offset) return nullptr;
  return it->second.data() + offset;
}

}  // namespace hv::x86::testing
