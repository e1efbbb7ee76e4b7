// SPDX-License-Identifier: Apache-2.0
// HV_FAMILY_DOMCTL from a privileged (control) domain: a CREATE / INFO /
// LIST / PAUSE / SET_* / DESTROY round trip, and every error each op can
// give (HV_EFAULT, HV_EVERSION, HV_EINVAL for padding and arguments,
// HV_ESRCH, HV_EEXIST, HV_EBUSY, HV_ENOENT, HV_ERANGE), each leaving
// nothing behind. Runs alone, as `privileged=yes`.
#include "hv/domctl.h"

#include "hv/memory.h"
#include "hv/sysctl.h"
#include "tests/guests/lib/guest.h"
#include "tests/guests/lib/ops.h"

namespace {

using guest::Call;
using guest::DomainOp;
using guest::FreePages;
using guest::MakeCreate;

constexpr uint32_t kV = HV_DOMCTL_INTERFACE_VERSION;
constexpr uint64_t kMiB = 1ull << 20;

int64_t Info(uint32_t id, hv_domctl_info* out) {
  *out = {};
  out->interface_version = kV;
  out->domain_id = id;
  return Call(HV_DOMCTL_INFO, out);
}

// What the free pool lost to a domain is what INFO says it holds, give or
// take the root of its nested page tables, which hv does not count yet
// (arch::DomainInit counts the tables that DomainMap adds, not the root).
void ExpectHeld(uint64_t lost, uint64_t pages) {
  if (lost != pages && lost != pages + 1) {
    guest::Failure("the free pool lost %lu pages to a domain that holds %lu", lost, pages);
  }
}

bool NameIs(const char (&name)[HV_DOMAIN_NAME_SIZE], const char* want) {
  size_t i = 0;
  for (; want[i]; ++i) {
    if (name[i] != want[i]) return false;
  }
  for (; i < sizeof(name); ++i) {
    if (name[i]) return false;  // NUL-terminated, the rest zero
  }
  return true;
}

// Every op that names a domain, on one that does not exist.
void ExpectNoSuchDomain(uint32_t id) {
  GUEST_ASSERT_EQ(DomainOp(HV_DOMCTL_DESTROY, id), HV_ESRCH);
  GUEST_ASSERT_EQ(DomainOp(HV_DOMCTL_PAUSE, id), HV_ESRCH);
  GUEST_ASSERT_EQ(DomainOp(HV_DOMCTL_UNPAUSE, id), HV_ESRCH);
  hv_domctl_info info;
  GUEST_ASSERT_EQ(Info(id, &info), HV_ESRCH);
  hv_domctl_max_memory max{kV, id, 64 * kMiB};
  GUEST_ASSERT_EQ(Call(HV_DOMCTL_SET_MAX_MEMORY, &max), HV_ESRCH);
  hv_domctl_vcpu_count count{kV, id, 1, 0};
  GUEST_ASSERT_EQ(Call(HV_DOMCTL_SET_VCPU_COUNT, &count), HV_ESRCH);
  hv_domctl_vcpu_affinity aff{kV, id, 0, 0, 1};
  GUEST_ASSERT_EQ(Call(HV_DOMCTL_SET_VCPU_AFFINITY, &aff), HV_ESRCH);
}

void CheckSelf(char (&self_name)[HV_DOMAIN_NAME_SIZE]) {
  hv_domctl_info info;
  GUEST_ASSERT_EQ(Info(guest::DomainId(), &info), HV_OK);
  GUEST_ASSERT_EQ(info.interface_version, kV);
  GUEST_ASSERT_EQ(info.domain_id, guest::DomainId());
  GUEST_ASSERT_EQ(info.state, static_cast<uint32_t>(HV_DOMAIN_STATE_RUNNING));
  GUEST_ASSERT_EQ(info.shutdown_reason, HV_DOMCTL_NO_SHUTDOWN);
  GUEST_ASSERT_EQ(info.memory_bytes, guest::MemoryBytes());
  GUEST_ASSERT_EQ(info.max_memory_bytes, guest::MemoryBytes());
  GUEST_ASSERT_EQ(info.vcpus, guest::VcpuCount());
  GUEST_ASSERT_EQ(info.weight, 256u);  // the runner's weight=256
  GUEST_ASSERT_EQ(info.cap, 0u);
  GUEST_ASSERT_EQ(info.flags, HV_DOMCTL_INFO_PRIVILEGED);
  GUEST_ASSERT(info.pages > guest::MemoryBytes() / 4096);
  GUEST_ASSERT(info.name[0] != 0);
  GUEST_ASSERT_EQ(info.name[sizeof(info.name) - 1], 0);
  for (size_t i = 0; i < sizeof(self_name); ++i) self_name[i] = info.name[i];
  // The memory family says the same about us.
  hv_memory_info mem;
  GUEST_ASSERT_EQ(guest::Hypercall1(HV_MEMORY_QUERY, guest::Gpa(&mem)), HV_OK);
  GUEST_ASSERT_EQ(mem.memory_bytes, info.memory_bytes);
  GUEST_ASSERT_EQ(mem.pages, info.pages);
  guest::Printf("self: d%u '%s', %lu pages, privileged\n", info.domain_id, info.name, info.pages);
}

// Errors that come before an op looks at its arguments.
void CheckCommonErrors() {
  const uint64_t end = guest::MemoryBytes();
  const uint64_t ops[] = {
      HV_DOMCTL_CREATE,         HV_DOMCTL_DESTROY,        HV_DOMCTL_PAUSE,
      HV_DOMCTL_UNPAUSE,        HV_DOMCTL_INFO,           HV_DOMCTL_LIST,
      HV_DOMCTL_SET_MAX_MEMORY, HV_DOMCTL_SET_VCPU_COUNT, HV_DOMCTL_SET_VCPU_AFFINITY};
  for (uint64_t op : ops) {
    // Bad pointers: outside our memory, straddling its end, wrapping.
    GUEST_ASSERT_EQ(guest::Hypercall1(op, end), HV_EFAULT);
    GUEST_ASSERT_EQ(guest::Hypercall1(op, end - 4), HV_EFAULT);
    GUEST_ASSERT_EQ(guest::Hypercall1(op, ~0ull - 3), HV_EFAULT);
    // Any other interface version, whatever follows it.
    for (uint32_t version : {0u, kV + 1, ~0u}) {
      uint64_t arg[12] = {};
      arg[0] = version;
      GUEST_ASSERT_EQ(guest::Hypercall1(op, guest::Gpa(arg)), HV_EVERSION);
    }
  }
  // A structure at the very end of our memory is fine (read, and found wrong).
  auto* last = reinterpret_cast<hv_domctl_domain*>(end - sizeof(hv_domctl_domain));
  *last = {kV, 0};
  GUEST_ASSERT_EQ(guest::Hypercall1(HV_DOMCTL_DESTROY, guest::Gpa(last)), HV_ESRCH);
  // Ops that do not exist (yet).
  GUEST_ASSERT_EQ(guest::Hypercall1(HV_OP(HV_FAMILY_DOMCTL, 0x09), 0), HV_ENOSYS);
  GUEST_ASSERT_EQ(guest::Hypercall1(HV_OP(HV_FAMILY_DOMCTL, 0xff), 0), HV_ENOSYS);
  GUEST_ASSERT_EQ(guest::VersionFamily(HV_FAMILY_DOMCTL), kV);
}

void CheckCreateErrors(const char (&self_name)[HV_DOMAIN_NAME_SIZE]) {
  const uint32_t total = guest::DomainCount();
  const uint64_t free = FreePages();
  hv_domctl_create c;
  auto expect_create = [&](int64_t want) {
    c.domain_id = 0xabcd;
    GUEST_ASSERT_EQ(Call(HV_DOMCTL_CREATE, &c), want);
    GUEST_ASSERT_EQ(c.domain_id, 0xabcdu);  // nothing written back on an error
  };
  // Names.
  c = MakeCreate("", 4 * kMiB, 1);
  expect_create(HV_EINVAL);
  c = MakeCreate("has space", 4 * kMiB, 1);
  expect_create(HV_EINVAL);
  c = MakeCreate("slash/", 4 * kMiB, 1);
  expect_create(HV_EINVAL);
  c = MakeCreate("x", 4 * kMiB, 1);
  for (char& ch : c.name) ch = 'n';  // 32 characters, no NUL
  expect_create(HV_EINVAL);
  c = MakeCreate("x", 4 * kMiB, 1);
  c.name[5] = 'y';  // after the NUL: padding
  expect_create(HV_EINVAL);
  c = MakeCreate("x", 4 * kMiB, 1);
  c.name[31] = 1;
  expect_create(HV_EINVAL);
  c = MakeCreate("x", 4 * kMiB, 1);
  for (size_t i = 0; i < sizeof(self_name); ++i) c.name[i] = self_name[i];
  expect_create(HV_EEXIST);
  // Memory.
  const uint64_t bad_memory[] = {
      0,     4096,        kMiB - 4096, 4 * kMiB + 1, 4 * kMiB + 2048, (1ull << 40) + 4096,
      ~0ull, ~0ull - 4095};
  for (uint64_t bad : bad_memory) {
    c = MakeCreate("x", bad, 1);
    expect_create(HV_EINVAL);
  }
  // vCPUs, weight, cap, flags.
  c = MakeCreate("x", 4 * kMiB, 0);
  expect_create(HV_EINVAL);
  c = MakeCreate("x", 4 * kMiB, HV_DOMAIN_MAX_VCPUS + 1);
  expect_create(HV_EINVAL);
  c = MakeCreate("x", 4 * kMiB, 1);
  c.weight = 0;
  expect_create(HV_EINVAL);
  c.weight = HV_DOMAIN_MAX_WEIGHT + 1;
  expect_create(HV_EINVAL);
  c = MakeCreate("x", 4 * kMiB, 2);
  c.cap = 201;
  expect_create(HV_EINVAL);
  c = MakeCreate("x", 4 * kMiB, 1);
  c.flags = 1;
  expect_create(HV_EINVAL);
  c.flags = 0x80000000u;
  expect_create(HV_EINVAL);
  // Too much memory: refused, nothing kept.
  c = MakeCreate("x", 1ull << 40, 1);
  expect_create(HV_ENOMEM);
  GUEST_ASSERT_EQ(guest::DomainCount(), total);
  GUEST_ASSERT_EQ(FreePages(), free);
}

void CheckListErrors() {
  uint32_t ids[4] = {7, 7, 7, 7};
  hv_domctl_list l{kV, 4, guest::Gpa(ids), 0, 1};
  GUEST_ASSERT_EQ(Call(HV_DOMCTL_LIST, &l), HV_EINVAL);  // pad
  GUEST_ASSERT_EQ(ids[0], 7u);
  // The array outside our memory, or running past its end: nothing written.
  l = {kV, 4, guest::MemoryBytes() - 8, 0xeeee, 0};
  GUEST_ASSERT_EQ(Call(HV_DOMCTL_LIST, &l), HV_EFAULT);
  l = {kV, 0xffffffffu, guest::Gpa(ids), 0xeeee, 0};
  GUEST_ASSERT_EQ(Call(HV_DOMCTL_LIST, &l), HV_EFAULT);
  GUEST_ASSERT_EQ(ids[0], 7u);
  GUEST_ASSERT_EQ(l.total, 0xeeeeu);
  // max_ids 0 only counts: the address is not looked at.
  l = {kV, 0, ~0ull, 0, 0};
  GUEST_ASSERT_EQ(Call(HV_DOMCTL_LIST, &l), 0);
  GUEST_ASSERT(l.total >= 1);
}

void CheckSelfErrors() {
  const uint32_t self = guest::DomainId();
  GUEST_ASSERT_EQ(DomainOp(HV_DOMCTL_DESTROY, self), HV_EINVAL);
  GUEST_ASSERT_EQ(DomainOp(HV_DOMCTL_PAUSE, self), HV_EINVAL);
  GUEST_ASSERT_EQ(DomainOp(HV_DOMCTL_UNPAUSE, self), HV_EINVAL);
  hv_domctl_vcpu_count count{kV, self, 2, 0};
  GUEST_ASSERT_EQ(Call(HV_DOMCTL_SET_VCPU_COUNT, &count), HV_EBUSY);  // we have started
  hv_domctl_vcpu_affinity aff{kV, self, 0, 0, 1};
  GUEST_ASSERT_EQ(Call(HV_DOMCTL_SET_VCPU_AFFINITY, &aff), HV_EBUSY);  // vCPU 0 runs
  // Our own maximum may grow, and the memory family sees it.
  hv_domctl_max_memory max{kV, self, guest::MemoryBytes() + 8 * kMiB};
  GUEST_ASSERT_EQ(Call(HV_DOMCTL_SET_MAX_MEMORY, &max), HV_OK);
  hv_memory_info mem;
  GUEST_ASSERT_EQ(guest::Hypercall1(HV_MEMORY_QUERY, guest::Gpa(&mem)), HV_OK);
  GUEST_ASSERT_EQ(mem.max_memory_bytes, guest::MemoryBytes() + 8 * kMiB);
  max.max_memory_bytes = guest::MemoryBytes();
  GUEST_ASSERT_EQ(Call(HV_DOMCTL_SET_MAX_MEMORY, &max), HV_OK);
}

// The list holds `id` (or not), ascending.
bool Listed(uint32_t id) {
  uint32_t ids[300];
  hv_domctl_list l{kV, 300, guest::Gpa(ids), 0, 0};
  const int64_t n = Call(HV_DOMCTL_LIST, &l);
  GUEST_ASSERT(n >= 1);
  GUEST_ASSERT_EQ(n, l.total);
  bool found = false;
  for (int64_t i = 0; i < n; ++i) {
    if (i > 0) GUEST_ASSERT(ids[i - 1] < ids[i]);
    found = found || ids[i] == id;
  }
  return found;
}

void RoundTrip() {
  const uint32_t total = guest::DomainCount();
  const uint64_t free = FreePages();
  GUEST_ASSERT(Listed(guest::DomainId()));

  hv_domctl_create c = MakeCreate("child.1", 4 * kMiB, 2);
  c.weight = 512;
  c.cap = 150;
  GUEST_ASSERT_EQ(Call(HV_DOMCTL_CREATE, &c), HV_OK);
  const uint32_t id = c.domain_id;
  guest::Printf("created d%u\n", id);
  GUEST_ASSERT(id != 0 && id != guest::DomainId());
  GUEST_ASSERT_EQ(guest::DomainCount(), total + 1);
  GUEST_ASSERT(Listed(id));
  const uint64_t free_after = FreePages();
  GUEST_ASSERT(free_after + 4 * kMiB / 4096 <= free);
  // The name is taken now.
  hv_domctl_create twin = MakeCreate("child.1", 4 * kMiB, 1);
  GUEST_ASSERT_EQ(Call(HV_DOMCTL_CREATE, &twin), HV_EEXIST);

  hv_domctl_info info;
  GUEST_ASSERT_EQ(Info(id, &info), HV_OK);
  GUEST_ASSERT_EQ(info.domain_id, id);
  GUEST_ASSERT_EQ(info.state, static_cast<uint32_t>(HV_DOMAIN_STATE_CREATED));
  GUEST_ASSERT_EQ(info.shutdown_reason, HV_DOMCTL_NO_SHUTDOWN);
  GUEST_ASSERT_EQ(info.memory_bytes, 4 * kMiB);
  GUEST_ASSERT_EQ(info.max_memory_bytes, 4 * kMiB);
  GUEST_ASSERT_EQ(info.vcpus, 2u);
  GUEST_ASSERT_EQ(info.weight, 512u);
  GUEST_ASSERT_EQ(info.cap, 150u);
  GUEST_ASSERT_EQ(info.flags, 0u);
  GUEST_ASSERT(NameIs(info.name, "child.1"));
  // Every page it holds came out of the free pool.
  GUEST_ASSERT(info.pages >= 4 * kMiB / 4096);
  ExpectHeld(free - free_after, info.pages);
  const uint64_t pages = info.pages;

  // LIST into a buffer that is too small: as many as fit, the rest untouched.
  uint32_t ids[3] = {0xdead, 0xdead, 0xdead};
  hv_domctl_list l{kV, 1, guest::Gpa(ids), 0, 0};
  GUEST_ASSERT_EQ(Call(HV_DOMCTL_LIST, &l), 1);
  GUEST_ASSERT_EQ(l.total, total + 1);
  GUEST_ASSERT_NE(ids[0], 0xdeadu);
  GUEST_ASSERT_EQ(ids[1], 0xdeadu);

  // PAUSE / UNPAUSE, both idempotent.
  GUEST_ASSERT_EQ(DomainOp(HV_DOMCTL_PAUSE, id), HV_OK);
  GUEST_ASSERT_EQ(Info(id, &info), HV_OK);
  GUEST_ASSERT_EQ(info.state, static_cast<uint32_t>(HV_DOMAIN_STATE_PAUSED));
  GUEST_ASSERT_EQ(DomainOp(HV_DOMCTL_PAUSE, id), HV_OK);
  GUEST_ASSERT_EQ(DomainOp(HV_DOMCTL_UNPAUSE, id), HV_OK);
  GUEST_ASSERT_EQ(Info(id, &info), HV_OK);
  GUEST_ASSERT_EQ(info.state, static_cast<uint32_t>(HV_DOMAIN_STATE_CREATED));
  GUEST_ASSERT_EQ(DomainOp(HV_DOMCTL_UNPAUSE, id), HV_OK);
  GUEST_ASSERT_EQ(Info(id, &info), HV_OK);
  GUEST_ASSERT_EQ(info.state, static_cast<uint32_t>(HV_DOMAIN_STATE_CREATED));
  GUEST_ASSERT_EQ(DomainOp(HV_DOMCTL_PAUSE, id, kV + 1), HV_EVERSION);

  // SET_MAX_MEMORY.
  hv_domctl_max_memory max{kV, id, 64 * kMiB};
  GUEST_ASSERT_EQ(Call(HV_DOMCTL_SET_MAX_MEMORY, &max), HV_OK);
  GUEST_ASSERT_EQ(Info(id, &info), HV_OK);
  GUEST_ASSERT_EQ(info.max_memory_bytes, 64 * kMiB);
  GUEST_ASSERT_EQ(info.memory_bytes, 4 * kMiB);
  max.max_memory_bytes = 4 * kMiB;  // down to its size: fine
  GUEST_ASSERT_EQ(Call(HV_DOMCTL_SET_MAX_MEMORY, &max), HV_OK);
  max.max_memory_bytes = 4 * kMiB - 4096;
  GUEST_ASSERT_EQ(Call(HV_DOMCTL_SET_MAX_MEMORY, &max), HV_ERANGE);
  max.max_memory_bytes = (1ull << 40) + 4096;
  GUEST_ASSERT_EQ(Call(HV_DOMCTL_SET_MAX_MEMORY, &max), HV_ERANGE);
  max.max_memory_bytes = 8 * kMiB + 1;
  GUEST_ASSERT_EQ(Call(HV_DOMCTL_SET_MAX_MEMORY, &max), HV_EINVAL);
  GUEST_ASSERT_EQ(Info(id, &info), HV_OK);
  GUEST_ASSERT_EQ(info.max_memory_bytes, 4 * kMiB);

  // SET_VCPU_COUNT: up and down again, pages follow.
  hv_domctl_vcpu_count count{kV, id, 5, 0};
  GUEST_ASSERT_EQ(Call(HV_DOMCTL_SET_VCPU_COUNT, &count), HV_OK);
  GUEST_ASSERT_EQ(Info(id, &info), HV_OK);
  GUEST_ASSERT_EQ(info.vcpus, 5u);
  GUEST_ASSERT(info.pages > pages);
  GUEST_ASSERT_EQ((info.pages - pages) % 3, 0u);  // three vCPUs, the same each
  ExpectHeld(free - FreePages(), info.pages);
  count.vcpus = 2;
  GUEST_ASSERT_EQ(Call(HV_DOMCTL_SET_VCPU_COUNT, &count), HV_OK);
  GUEST_ASSERT_EQ(Info(id, &info), HV_OK);
  GUEST_ASSERT_EQ(info.vcpus, 2u);
  GUEST_ASSERT_EQ(info.pages, pages);
  GUEST_ASSERT_EQ(FreePages(), free_after);
  const uint32_t bad_counts[] = {0, 1 /* cap 150 needs 2 */, HV_DOMAIN_MAX_VCPUS + 1};
  for (uint32_t bad : bad_counts) {
    count.vcpus = bad;
    GUEST_ASSERT_EQ(Call(HV_DOMCTL_SET_VCPU_COUNT, &count), HV_EINVAL);
  }
  count = {kV, id, 3, 1};
  GUEST_ASSERT_EQ(Call(HV_DOMCTL_SET_VCPU_COUNT, &count), HV_EINVAL);  // pad
  GUEST_ASSERT_EQ(Info(id, &info), HV_OK);
  GUEST_ASSERT_EQ(info.vcpus, 2u);

  // SET_VCPU_AFFINITY (CPU 0 is online; the runner gives us one CPU).
  hv_domctl_vcpu_affinity aff{kV, id, 1, 0, 1};
  GUEST_ASSERT_EQ(Call(HV_DOMCTL_SET_VCPU_AFFINITY, &aff), HV_OK);
  aff.cpu_mask = 0;
  GUEST_ASSERT_EQ(Call(HV_DOMCTL_SET_VCPU_AFFINITY, &aff), HV_EINVAL);
  aff.cpu_mask = 1ull << 63;  // not online
  GUEST_ASSERT_EQ(Call(HV_DOMCTL_SET_VCPU_AFFINITY, &aff), HV_EINVAL);
  aff.cpu_mask = ~0ull;  // includes CPUs that are not online
  GUEST_ASSERT_EQ(Call(HV_DOMCTL_SET_VCPU_AFFINITY, &aff), HV_EINVAL);
  aff = {kV, id, 2, 0, 1};  // no vCPU 2
  GUEST_ASSERT_EQ(Call(HV_DOMCTL_SET_VCPU_AFFINITY, &aff), HV_ENOENT);
  aff = {kV, id, 0, 7, 1};
  GUEST_ASSERT_EQ(Call(HV_DOMCTL_SET_VCPU_AFFINITY, &aff), HV_EINVAL);  // pad

  // INFO with a bad pointer, and after a version mismatch: nothing changed.
  GUEST_ASSERT_EQ(guest::Hypercall1(HV_DOMCTL_INFO, guest::MemoryBytes() - 16), HV_EFAULT);
  GUEST_ASSERT_EQ(DomainOp(HV_DOMCTL_DESTROY, id, 0), HV_EVERSION);
  GUEST_ASSERT_EQ(Info(id, &info), HV_OK);

  // DESTROY: every page back, the id gone, the name free again.
  GUEST_ASSERT_EQ(DomainOp(HV_DOMCTL_DESTROY, id), HV_OK);
  GUEST_ASSERT_EQ(FreePages(), free);
  GUEST_ASSERT_EQ(guest::DomainCount(), total);
  GUEST_ASSERT(!Listed(id));
  ExpectNoSuchDomain(id);

  // A paused domain may be destroyed too; the name is reused.
  c = MakeCreate("child.1", 2 * kMiB, 1);
  GUEST_ASSERT_EQ(Call(HV_DOMCTL_CREATE, &c), HV_OK);
  GUEST_ASSERT_EQ(DomainOp(HV_DOMCTL_PAUSE, c.domain_id), HV_OK);
  GUEST_ASSERT_EQ(DomainOp(HV_DOMCTL_DESTROY, c.domain_id), HV_OK);
  GUEST_ASSERT_EQ(FreePages(), free);
  GUEST_ASSERT_EQ(guest::DomainCount(), total);
}

}  // namespace

void test_main() {
  char self_name[HV_DOMAIN_NAME_SIZE];
  CheckSelf(self_name);
  CheckCommonErrors();
  for (uint32_t id : {0u, 255u, 256u, 0x10000u, ~0u}) {
    if (id != guest::DomainId()) ExpectNoSuchDomain(id);
  }
  CheckCreateErrors(self_name);
  CheckListErrors();
  CheckSelfErrors();
  RoundTrip();
}
