// SPDX-License-Identifier: Apache-2.0
// A PhysReader for host tests: a sparse set of byte buffers at physical
// addresses; everything else is unreadable.
#pragma once

#include <stddef.h>
#include <stdint.h>

#include <map>
#include <string>
#include <vector>

#include "hv/arch/x86/phys_reader.h"

namespace hv::x86::testing {

class FakePhys final : public PhysReader {
 public:
  FakePhys() = default;
  FakePhys(const FakePhys&) = delete;
  FakePhys& operator=(const FakePhys&) = delete;
  ~FakePhys() = default;

  // Makes [pa, pa + bytes.size()) readable with these contents. Overlapping or
  // adjacent regions are merged into one (the newest bytes win), so a read may
  // span what several calls added. Pointers from earlier Map() calls are
  // invalidated.
  void Add(PhysAddr pa, const std::vector<uint8_t>& bytes);
  void Add(PhysAddr pa, const void* bytes, size_t len);
  void AddZeros(PhysAddr pa, size_t len);
  // Adds a whole file at pa; false (and nothing added) if it cannot be read.
  [[nodiscard]] bool AddFile(PhysAddr pa, const std::string& path);

  // Writable view of readable bytes, for tests that corrupt what they loaded;
  // nullptr if [pa, pa + len) is not entirely readable.
  uint8_t* Mutable(PhysAddr pa, uint64_t len);

  const void* Map(PhysAddr pa, uint64_t len) const override;

 private:
  std::map<uint64_t, std::vector<uint8_t>> regions_;  // start -> bytes
};

}  // namespace hv::x86::testing
