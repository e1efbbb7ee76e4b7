// SPDX-License-Identifier: Apache-2.0
// HV_FAMILY_SYSCTL from a privileged (control) domain: PHYSINFO agrees with
// what QEMU was given (cpus=N on the command line: the runner's -smp) and
// with the start info and HV_VERSION_GET, and is the same twice;
// CPU_TOPOLOGY lists each CPU once; SCHED_INFO names the scheduler; and
// every error (HV_EFAULT, HV_EVERSION, HV_EINVAL for padding).
#include "hv/sysctl.h"

#include "tests/guests/lib/guest.h"
#include "tests/guests/lib/ops.h"

namespace {

using guest::Call;

constexpr uint32_t kV = HV_SYSCTL_INTERFACE_VERSION;

hv_sysctl_physinfo Physinfo() {
  hv_sysctl_physinfo p;
  for (size_t i = 0; i < sizeof(p); ++i) reinterpret_cast<volatile char*>(&p)[i] = 0x5a;
  p.interface_version = kV;
  p.pad0 = 0;
  GUEST_ASSERT_EQ(Call(HV_SYSCTL_PHYSINFO, &p), HV_OK);
  return p;
}

template <size_t N>
bool Terminated(const char (&s)[N]) {
  size_t i = 0;
  while (i < N && s[i]) ++i;
  if (i == N) return false;
  for (; i < N; ++i) {
    if (s[i]) return false;  // the rest zero
  }
  return true;
}

void CheckPhysinfo() {
  const uint64_t cpus = guest::CmdlineU64("cpus", 0);
  GUEST_ASSERT(cpus >= 1);
  const hv_sysctl_physinfo p = Physinfo();
  guest::Printf(
      "physinfo: %u of %u CPUs online, %lu of %lu pages free, TSC %lu Hz, caps %#lx, "
      "build %s\n",
      p.cpus_online, p.cpus_known, p.free_pages, p.total_pages, p.tsc_hz, p.capabilities,
      p.build_id);
  GUEST_ASSERT_EQ(p.interface_version, kV);
  GUEST_ASSERT_EQ(p.pad0, 0u);
  GUEST_ASSERT_EQ(p.cpus_online, cpus);
  GUEST_ASSERT(p.cpus_known >= p.cpus_online);
  // Some of it is free; we hold some of the rest.
  GUEST_ASSERT(p.free_pages > 0);
  GUEST_ASSERT(p.free_pages + guest::MemoryBytes() / 4096 <= p.total_pages);
  // The runner's QEMU has 512 MiB; hv manages most of it.
  GUEST_ASSERT(p.total_pages <= (512ull << 20) / 4096);
  GUEST_ASSERT(p.total_pages >= (256ull << 20) / 4096);
  // The TSC: plausible, and what the start info said.
  GUEST_ASSERT(p.tsc_hz > 100000000ull);
  GUEST_ASSERT(p.tsc_hz < 10000000000ull);
  if (guest::StartInfo().tsc_hz) GUEST_ASSERT_EQ(p.tsc_hz, guest::StartInfo().tsc_hz);
  // As HV_VERSION_GET says.
  hv_version_info v;
  GUEST_ASSERT_EQ(guest::VersionGet(&v), HV_OK);
  GUEST_ASSERT_EQ(p.capabilities, v.capabilities);
  GUEST_ASSERT(Terminated(p.build_id));
  for (size_t i = 0; i < sizeof(v.build_id) && v.build_id[i]; ++i) {
    GUEST_ASSERT_EQ(p.build_id[i], v.build_id[i]);
  }
  // Twice the same (nothing runs but us: free memory too).
  const hv_sysctl_physinfo q = Physinfo();
  GUEST_ASSERT_EQ(q.cpus_online, p.cpus_online);
  GUEST_ASSERT_EQ(q.cpus_known, p.cpus_known);
  GUEST_ASSERT_EQ(q.total_pages, p.total_pages);
  GUEST_ASSERT_EQ(q.free_pages, p.free_pages);
  GUEST_ASSERT_EQ(q.tsc_hz, p.tsc_hz);
  GUEST_ASSERT_EQ(q.capabilities, p.capabilities);

  // Errors.
  hv_sysctl_physinfo bad{};
  bad.interface_version = kV;
  bad.pad0 = 1;
  GUEST_ASSERT_EQ(Call(HV_SYSCTL_PHYSINFO, &bad), HV_EINVAL);
  GUEST_ASSERT_EQ(bad.cpus_online, 0u);  // nothing written
  bad.pad0 = 0;
  for (uint32_t version : {0u, kV + 1, ~0u}) {
    bad.interface_version = version;
    GUEST_ASSERT_EQ(Call(HV_SYSCTL_PHYSINFO, &bad), HV_EVERSION);
  }
  GUEST_ASSERT_EQ(bad.cpus_online, 0u);
}

void CheckTopology() {
  const hv_sysctl_physinfo p = Physinfo();
  hv_sysctl_cpu cpus[64];
  for (hv_sysctl_cpu& c : cpus) c = {0xeeee, 0xeeee};
  hv_sysctl_cpu_topology t{kV, 64, guest::Gpa(cpus), 0, 0};
  const int64_t n = Call(HV_SYSCTL_CPU_TOPOLOGY, &t);
  GUEST_ASSERT_EQ(n, p.cpus_known);
  GUEST_ASSERT_EQ(t.cpu_count, p.cpus_known);
  uint32_t online = 0;
  for (int64_t i = 0; i < n; ++i) {
    guest::Printf("CPU%ld: APIC id %u%s\n", i, cpus[i].apic_id,
                  cpus[i].flags & HV_SYSCTL_CPU_ONLINE ? ", online" : "");
    GUEST_ASSERT_EQ(cpus[i].flags & ~HV_SYSCTL_CPU_ONLINE, 0u);
    online += (cpus[i].flags & HV_SYSCTL_CPU_ONLINE) != 0;
    for (int64_t j = 0; j < i; ++j) GUEST_ASSERT_NE(cpus[i].apic_id, cpus[j].apic_id);
  }
  GUEST_ASSERT_EQ(online, p.cpus_online);
  GUEST_ASSERT_EQ(cpus[0].flags, HV_SYSCTL_CPU_ONLINE);   // the boot CPU
  if (n < 64) GUEST_ASSERT_EQ(cpus[n].apic_id, 0xeeeeu);  // nothing past the last

  // Counting only (the address is not looked at), and a short array.
  hv_sysctl_cpu_topology count{kV, 0, ~0ull, 0, 0};
  GUEST_ASSERT_EQ(Call(HV_SYSCTL_CPU_TOPOLOGY, &count), 0);
  GUEST_ASSERT_EQ(count.cpu_count, p.cpus_known);
  hv_sysctl_cpu one[2] = {{0xeeee, 0xeeee}, {0xeeee, 0xeeee}};
  hv_sysctl_cpu_topology small{kV, 1, guest::Gpa(one), 0, 0};
  GUEST_ASSERT_EQ(Call(HV_SYSCTL_CPU_TOPOLOGY, &small), 1);
  GUEST_ASSERT_EQ(small.cpu_count, p.cpus_known);
  GUEST_ASSERT_EQ(one[0].apic_id, cpus[0].apic_id);
  GUEST_ASSERT_EQ(one[1].apic_id, 0xeeeeu);

  // Errors: padding, the array outside our memory (nothing written), version.
  hv_sysctl_cpu_topology bad{kV, 1, guest::Gpa(one), 0, 1};
  GUEST_ASSERT_EQ(Call(HV_SYSCTL_CPU_TOPOLOGY, &bad), HV_EINVAL);
  bad = {kV, 2, guest::MemoryBytes() - 8, 0x7777, 0};
  GUEST_ASSERT_EQ(Call(HV_SYSCTL_CPU_TOPOLOGY, &bad), HV_EFAULT);
  GUEST_ASSERT_EQ(bad.cpu_count, 0x7777u);
  bad = {kV, 0x80000000u, guest::Gpa(cpus), 0x7777, 0};
  GUEST_ASSERT_EQ(Call(HV_SYSCTL_CPU_TOPOLOGY, &bad), HV_EFAULT);
  bad = {kV + 1, 1, guest::Gpa(one), 0x7777, 0};
  GUEST_ASSERT_EQ(Call(HV_SYSCTL_CPU_TOPOLOGY, &bad), HV_EVERSION);
  GUEST_ASSERT_EQ(bad.cpu_count, 0x7777u);
}

void CheckSchedInfo() {
  hv_sysctl_sched_info s;
  for (size_t i = 0; i < sizeof(s); ++i) reinterpret_cast<volatile char*>(&s)[i] = 0x5a;
  s.interface_version = kV;
  s.pad0 = 0;
  GUEST_ASSERT_EQ(Call(HV_SYSCTL_SCHED_INFO, &s), HV_OK);
  guest::Printf("scheduler: %s, slice %lu us\n", s.name, s.default_slice_ns / 1000);
  GUEST_ASSERT(Terminated(s.name));
  GUEST_ASSERT(s.name[0] != 0);
  GUEST_ASSERT(s.default_slice_ns >= 100000ull);      // 100 us
  GUEST_ASSERT(s.default_slice_ns <= 1000000000ull);  // 1 s
  s.pad0 = 3;
  GUEST_ASSERT_EQ(Call(HV_SYSCTL_SCHED_INFO, &s), HV_EINVAL);
  s = {};
  GUEST_ASSERT_EQ(Call(HV_SYSCTL_SCHED_INFO, &s), HV_EVERSION);  // version 0
  GUEST_ASSERT_EQ(s.name[0], 0);
}

void CheckCommonErrors() {
  const uint64_t end = guest::MemoryBytes();
  for (uint64_t op : {HV_SYSCTL_PHYSINFO, HV_SYSCTL_CPU_TOPOLOGY, HV_SYSCTL_SCHED_INFO}) {
    GUEST_ASSERT_EQ(guest::Hypercall1(op, end), HV_EFAULT);
    GUEST_ASSERT_EQ(guest::Hypercall1(op, end - 4), HV_EFAULT);
    GUEST_ASSERT_EQ(guest::Hypercall1(op, ~0ull), HV_EFAULT);
  }
  GUEST_ASSERT_EQ(guest::Hypercall1(HV_OP(HV_FAMILY_SYSCTL, 0x03), 0), HV_ENOSYS);
  GUEST_ASSERT_EQ(guest::Hypercall1(HV_OP(HV_FAMILY_SYSCTL, 0xff), 0), HV_ENOSYS);
  GUEST_ASSERT_EQ(guest::VersionFamily(HV_FAMILY_SYSCTL), kV);
}

}  // namespace

void test_main() {
  CheckPhysinfo();
  CheckTopology();
  CheckSchedInfo();
  CheckCommonErrors();
}
