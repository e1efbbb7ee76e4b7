// SPDX-License-Identifier: Apache-2.0
// A domain reads its own console back (HV_CONSOLE_READ) as a stream; the ring
// keeps the last HV_CONSOLE_RING_SIZE bytes; and every bad argument gets its
// documented error.
#include "tests/guests/lib/guest.h"

namespace {

char g_buf[HV_CONSOLE_WRITE_MAX];

int64_t Read(uint32_t domain, uint64_t position, uint32_t size, hv_console_read* r,
             uint64_t buffer = guest::Gpa(g_buf)) {
  *r = hv_console_read{};
  r->interface_version = HV_CONSOLE_INTERFACE_VERSION;
  r->domain_id = domain;
  r->position = position;
  r->buffer_gpa = buffer;
  r->size = size;
  return guest::Hypercall1(HV_CONSOLE_READ, guest::Gpa(r));
}

bool Contains(const char* hay, uint32_t n, const char* needle) {
  for (uint32_t i = 0; i < n; ++i) {
    uint32_t j = 0;
    while (needle[j] && i + j < n && hay[i + j] == needle[j]) ++j;
    if (!needle[j]) return true;
  }
  return false;
}

}  // namespace

void test_main() {
  const uint32_t self = guest::DomainId();
  guest::Printf("marker-%u-first\n", self);
  hv_console_read r;
  GUEST_ASSERT_EQ(Read(self, 0, sizeof(g_buf), &r), HV_OK);
  GUEST_ASSERT_EQ(r.position, 0u);
  GUEST_ASSERT(r.returned > 0 && r.returned == r.end);
  GUEST_ASSERT(Contains(g_buf, r.returned, "marker-"));
  // From the end: nothing yet; then what was written since.
  const uint64_t end = r.end;
  GUEST_ASSERT_EQ(Read(self, end, 16, &r), HV_OK);
  GUEST_ASSERT_EQ(r.returned, 0u);
  guest::Printf("second\n");
  GUEST_ASSERT_EQ(Read(self, end, sizeof(g_buf), &r), HV_OK);
  GUEST_ASSERT_EQ(r.position, end);
  GUEST_ASSERT_EQ(r.returned, 7u);
  GUEST_ASSERT(Contains(g_buf, r.returned, "second\n"));
  // Past the end is clamped to the end.
  GUEST_ASSERT_EQ(Read(self, end + 1000000, 16, &r), HV_OK);
  GUEST_ASSERT_EQ(r.position, r.end);
  // More than the ring holds: the oldest bytes are gone.
  for (int i = 0; i < 200; ++i) guest::Printf("filler line %03d .......................................................................................\n", i);
  GUEST_ASSERT_EQ(Read(self, 0, 64, &r), HV_OK);
  GUEST_ASSERT_EQ(r.position, r.end - HV_CONSOLE_RING_SIZE);
  GUEST_ASSERT(!Contains(g_buf, r.returned, "marker-"));
  // Errors.
  r = hv_console_read{};
  r.interface_version = HV_CONSOLE_INTERFACE_VERSION + 1;
  r.domain_id = self;
  GUEST_ASSERT_EQ(guest::Hypercall1(HV_CONSOLE_READ, guest::Gpa(&r)), HV_EVERSION);
  GUEST_ASSERT_EQ(Read(self, 0, HV_CONSOLE_WRITE_MAX + 1, &r), HV_EINVAL);
  GUEST_ASSERT_EQ(Read(self, 0, 16, &r, guest::MemoryBytes() - 8), HV_EFAULT);
  GUEST_ASSERT_EQ(guest::Hypercall1(HV_CONSOLE_READ, guest::MemoryBytes()), HV_EFAULT);
  // Another domain's console: only for a control domain.
  GUEST_ASSERT_EQ(Read(self + 1, 0, 16, &r), HV_EPERM);
  GUEST_ASSERT_EQ(Read(200, 0, 16, &r), HV_EPERM);
}
