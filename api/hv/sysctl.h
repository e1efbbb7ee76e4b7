/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Host control (HV_FAMILY_SYSCTL, interface version 1): what the machine
 * under hv is and how hv uses it. Permission: privileged (control) domains
 * only; anyone else gets HV_EPERM.
 *
 * Every op takes one argument: the guest-physical address of its structure
 * in the caller's memory (any alignment), whose first field is the
 * interface_version the caller was built against. hv checks, in order:
 *   1. the structure lies in the caller's memory        else HV_EFAULT
 *   2. interface_version == HV_SYSCTL_INTERFACE_VERSION  else HV_EVERSION
 *   3. every pad field marked IN is 0                    else HV_EINVAL
 * OUT fields are ignored on input.
 */
#ifndef HV_API_SYSCTL_H
#define HV_API_SYSCTL_H

#include <stdint.h>

#include "hv/hypercall.h"

#define HV_SYSCTL_INTERFACE_VERSION 1

/* HV_SYSCTL_PHYSINFO(struct hv_sysctl_physinfo* arg): fills the OUT fields.
 * Returns HV_OK. Errors: HV_EFAULT, HV_EVERSION, HV_EINVAL (pad0). */
#define HV_SYSCTL_PHYSINFO HV_OP(HV_FAMILY_SYSCTL, 0x00)

struct hv_sysctl_physinfo {
  uint32_t interface_version; /* IN */
  uint32_t pad0;              /* IN: 0 */
  uint32_t cpus_online;       /* OUT: CPUs hv runs on */
  uint32_t cpus_known;        /* OUT: CPUs hv tried to start (online or not) */
  uint64_t total_pages;       /* OUT: 4 KiB pages of RAM hv manages */
  uint64_t free_pages;        /* OUT: of those, free now (zeroed before a
                                 domain gets them) */
  uint64_t tsc_hz;            /* OUT: the TSC's rate, as hv calibrated it */
  uint64_t capabilities;      /* OUT: HV_CAP_* (api/hv/version.h) */
  char build_id[48];          /* OUT: hv's build id, hex, NUL-terminated */
};
HV_STATIC_ASSERT(sizeof(struct hv_sysctl_physinfo) == 96, hv_sysctl_physinfo_size);
HV_STATIC_ASSERT(HV_OFFSETOF(struct hv_sysctl_physinfo, total_pages) == 16,
                 hv_sysctl_physinfo_total_pages);
HV_STATIC_ASSERT(HV_OFFSETOF(struct hv_sysctl_physinfo, tsc_hz) == 32, hv_sysctl_physinfo_tsc_hz);
HV_STATIC_ASSERT(HV_OFFSETOF(struct hv_sysctl_physinfo, build_id) == 48,
                 hv_sysctl_physinfo_build_id);

/* HV_SYSCTL_CPU_TOPOLOGY(struct hv_sysctl_cpu_topology* arg): one struct
 * hv_sysctl_cpu per CPU hv knows (index = hv's CPU number, 0 = the boot
 * CPU), written to the array at cpus_gpa (at most max_cpus; max_cpus 0 only
 * counts, and cpus_gpa is then not looked at). Returns the number written;
 * arg->cpu_count is how many there are. Errors: HV_EFAULT (arg, or the
 * array: then nothing is written), HV_EVERSION, HV_EINVAL (pad). */
#define HV_SYSCTL_CPU_TOPOLOGY HV_OP(HV_FAMILY_SYSCTL, 0x01)

#define HV_SYSCTL_CPU_ONLINE (1u << 0) /* hv_sysctl_cpu.flags */

struct hv_sysctl_cpu {
  uint32_t apic_id; /* OUT: its (x2)APIC id */
  uint32_t flags;   /* OUT: HV_SYSCTL_CPU_* */
};
HV_STATIC_ASSERT(sizeof(struct hv_sysctl_cpu) == 8, hv_sysctl_cpu_size);

struct hv_sysctl_cpu_topology {
  uint32_t interface_version; /* IN */
  uint32_t max_cpus;          /* IN: entries of the array */
  uint64_t cpus_gpa;          /* IN: struct hv_sysctl_cpu[max_cpus] */
  uint32_t cpu_count;         /* OUT: CPUs hv knows */
  uint32_t pad;               /* IN: 0 */
};
HV_STATIC_ASSERT(sizeof(struct hv_sysctl_cpu_topology) == 24, hv_sysctl_cpu_topology_size);
HV_STATIC_ASSERT(HV_OFFSETOF(struct hv_sysctl_cpu_topology, cpu_count) == 16,
                 hv_sysctl_cpu_topology_cpu_count);

/* HV_SYSCTL_SCHED_INFO(struct hv_sysctl_sched_info* arg): the scheduler.
 * Returns HV_OK. Errors: HV_EFAULT, HV_EVERSION, HV_EINVAL (pad0). */
#define HV_SYSCTL_SCHED_INFO HV_OP(HV_FAMILY_SYSCTL, 0x02)

struct hv_sysctl_sched_info {
  uint32_t interface_version; /* IN */
  uint32_t pad0;              /* IN: 0 */
  char name[16];              /* OUT: e.g. "rr"; NUL-terminated, the rest 0 */
  uint64_t default_slice_ns;  /* OUT: how long a vCPU runs before it may be
                                 preempted (as measured for the caller) */
};
HV_STATIC_ASSERT(sizeof(struct hv_sysctl_sched_info) == 32, hv_sysctl_sched_info_size);
HV_STATIC_ASSERT(HV_OFFSETOF(struct hv_sysctl_sched_info, default_slice_ns) == 24,
                 hv_sysctl_sched_info_default_slice_ns);

#endif /* HV_API_SYSCTL_H */
