/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Domain control (HV_FAMILY_DOMCTL, interface version 1): creating,
 * inspecting and destroying other domains. Permission: privileged (control)
 * domains only; anyone else gets HV_EPERM before anything is looked at.
 *
 * Every op takes one argument: the guest-physical address of its structure
 * in the caller's memory (any alignment). The structure's first field is
 * the interface_version the caller was built against. hv checks, in order:
 *   1. the structure lies in the caller's memory        else HV_EFAULT
 *   2. interface_version == HV_DOMCTL_INTERFACE_VERSION  else HV_EVERSION
 *   3. every pad field (and name bytes after the NUL) is 0  else HV_EINVAL
 *   4. the op's own arguments (below)
 * OUT fields are ignored on input. On an error nothing has changed, and
 * nothing is written back unless the op says so.
 *
 * Domain states, as HV_DOMCTL_INFO reports them:
 *   CREATED        built by HV_DOMCTL_CREATE (or being built at boot), never
 *                  started: vCPUs offline, memory zeroed
 *   RUNNING        started; its vCPUs run, block or are offline
 *   PAUSED         a CREATED domain held by HV_DOMCTL_PAUSE
 *   SHUTTING_DOWN  asked to stop; its vCPUs are leaving their CPUs
 *   DEAD           stopped and kept (e.g. on_crash=preserve) until destroyed
 * A domain "has not started" in CREATED and PAUSED; it "is not running" in
 * CREATED, PAUSED and DEAD.
 *
 * Limitations of version 1: hv cannot yet load a kernel into a domain that
 * HV_DOMCTL_CREATE built, so nothing starts one (boot-time domains are
 * started by hv itself); PAUSE and UNPAUSE act on domains that have not
 * started (pausing a running domain needs the scheduler to hold its vCPUs).
 */
#ifndef HV_API_DOMCTL_H
#define HV_API_DOMCTL_H

#include <stdint.h>

#include "hv/hypercall.h"

/* 2: hv_domctl_info gained ram_bytes (96 bytes). */
#define HV_DOMCTL_INTERFACE_VERSION 2

#define HV_DOMAIN_STATE_CREATED 0
#define HV_DOMAIN_STATE_RUNNING 1
#define HV_DOMAIN_STATE_PAUSED 2
#define HV_DOMAIN_STATE_SHUTTING_DOWN 3
#define HV_DOMAIN_STATE_DEAD 4

#define HV_DOMAIN_NAME_SIZE 32 /* 1..31 of [A-Za-z0-9_.-], then NULs */
#define HV_DOMAIN_MAX_VCPUS 64
#define HV_DOMAIN_MIN_MEMORY (1ull << 20) /* 1 MiB */
#define HV_DOMAIN_MAX_MEMORY (1ull << 40) /* 1 TiB */
#define HV_DOMAIN_MEMORY_ALIGN 4096ull
#define HV_DOMAIN_MAX_WEIGHT 65535

/* HV_DOMCTL_CREATE(struct hv_domctl_create* arg): builds a domain that is
 * not started (state CREATED, vCPUs offline, memory zeroed) and writes its
 * id to arg->domain_id. The domain is not privileged; its hard affinity is
 * every CPU; its maximum memory is memory_bytes. Returns HV_OK.
 * Errors: HV_EFAULT, HV_EVERSION, HV_EINVAL (padding; a name that is empty,
 * too long, not NUL-terminated or has other characters; memory_bytes not a
 * multiple of 4 KiB or outside [1 MiB, 1 TiB]; vcpus outside 1..64; weight
 * outside 1..65535; cap above 100 * vcpus; a flag hv does not know),
 * HV_EEXIST (a domain of that name exists), HV_ENOMEM (hv has not enough
 * free memory: nothing is kept), HV_ENOSPC (no free domain id). */
#define HV_DOMCTL_CREATE HV_OP(HV_FAMILY_DOMCTL, 0x00)

struct hv_domctl_create {
  uint32_t interface_version;     /* IN */
  uint32_t domain_id;             /* OUT: the new domain */
  char name[HV_DOMAIN_NAME_SIZE]; /* IN: NUL-terminated, the rest 0 */
  uint64_t memory_bytes;          /* IN: guest RAM is [0, memory_bytes) */
  uint32_t vcpus;                 /* IN: 1..64 */
  uint32_t weight;                /* IN: scheduler weight 1..65535 (256 is the usual) */
  uint32_t cap;                   /* IN: percent of one CPU, 0 = no cap */
  uint32_t flags;                 /* IN: none defined yet, must be 0 */
};
HV_STATIC_ASSERT(sizeof(struct hv_domctl_create) == 64, hv_domctl_create_size);
HV_STATIC_ASSERT(HV_OFFSETOF(struct hv_domctl_create, name) == 8, hv_domctl_create_name);
HV_STATIC_ASSERT(HV_OFFSETOF(struct hv_domctl_create, memory_bytes) == 40,
                 hv_domctl_create_memory_bytes);
HV_STATIC_ASSERT(HV_OFFSETOF(struct hv_domctl_create, flags) == 60, hv_domctl_create_flags);

/* The argument of DESTROY, PAUSE and UNPAUSE. */
struct hv_domctl_domain {
  uint32_t interface_version; /* IN */
  uint32_t domain_id;         /* IN */
};
HV_STATIC_ASSERT(sizeof(struct hv_domctl_domain) == 8, hv_domctl_domain_size);

/* HV_DOMCTL_DESTROY(struct hv_domctl_domain* arg): frees every page of a
 * domain that is not running (CREATED, PAUSED or DEAD); its id may be
 * reused. Returns HV_OK. Errors: HV_EFAULT, HV_EVERSION, HV_ESRCH (no such
 * domain), HV_EINVAL (the caller's own domain), HV_EBUSY (RUNNING or
 * SHUTTING_DOWN: it must end first). */
#define HV_DOMCTL_DESTROY HV_OP(HV_FAMILY_DOMCTL, 0x01)

/* HV_DOMCTL_PAUSE(struct hv_domctl_domain* arg): CREATED -> PAUSED; a PAUSED
 * domain stays so. Returns HV_OK. Errors: HV_EFAULT, HV_EVERSION, HV_ESRCH,
 * HV_EINVAL (the caller's own domain), HV_EBUSY (it has started: pausing a
 * running domain is not supported yet). */
#define HV_DOMCTL_PAUSE HV_OP(HV_FAMILY_DOMCTL, 0x02)

/* HV_DOMCTL_UNPAUSE(struct hv_domctl_domain* arg): PAUSED -> CREATED; a
 * CREATED or RUNNING domain (not paused) is left as it is. Returns HV_OK.
 * Errors: HV_EFAULT, HV_EVERSION, HV_ESRCH, HV_EINVAL (the caller's own
 * domain), HV_EBUSY (SHUTTING_DOWN or DEAD). */
#define HV_DOMCTL_UNPAUSE HV_OP(HV_FAMILY_DOMCTL, 0x03)

/* HV_DOMCTL_INFO(struct hv_domctl_info* arg): fills the OUT fields for
 * arg->domain_id (any domain, the caller's own included). Returns HV_OK.
 * Errors: HV_EFAULT, HV_EVERSION, HV_ESRCH. */
#define HV_DOMCTL_INFO HV_OP(HV_FAMILY_DOMCTL, 0x04)

#define HV_DOMCTL_NO_SHUTDOWN 0xffffffffu   /* shutdown_reason before any */
#define HV_DOMCTL_INFO_PRIVILEGED (1u << 0) /* flags: a control domain */

struct hv_domctl_info {
  uint32_t interface_version;     /* IN */
  uint32_t domain_id;             /* IN */
  uint32_t state;                 /* OUT: HV_DOMAIN_STATE_* */
  uint32_t shutdown_reason;       /* OUT: HV_SHUTDOWN_* once SHUTTING_DOWN or
                                     DEAD, else HV_DOMCTL_NO_SHUTDOWN */
  uint64_t memory_bytes;          /* OUT: guest RAM is [0, memory_bytes) */
  uint64_t max_memory_bytes;      /* OUT: HV_DOMCTL_SET_MAX_MEMORY */
  uint64_t pages;                 /* OUT: 4 KiB pages hv holds for it: RAM,
                                     nested page tables, vCPU state */
  uint32_t vcpus;                 /* OUT */
  uint32_t weight;                /* OUT */
  uint32_t cap;                   /* OUT: percent of one CPU, 0 = none */
  uint32_t flags;                 /* OUT: HV_DOMCTL_INFO_* */
  char name[HV_DOMAIN_NAME_SIZE]; /* OUT: NUL-terminated, the rest 0 */
  uint64_t ram_bytes;             /* OUT: RAM populated now: memory_bytes
                                     less what HV_MEMORY_RELEASE gave back,
                                     plus what HV_MEMORY_POPULATE took */
};
HV_STATIC_ASSERT(sizeof(struct hv_domctl_info) == 96, hv_domctl_info_size);
HV_STATIC_ASSERT(HV_OFFSETOF(struct hv_domctl_info, memory_bytes) == 16,
                 hv_domctl_info_memory_bytes);
HV_STATIC_ASSERT(HV_OFFSETOF(struct hv_domctl_info, vcpus) == 40, hv_domctl_info_vcpus);
HV_STATIC_ASSERT(HV_OFFSETOF(struct hv_domctl_info, name) == 56, hv_domctl_info_name);
HV_STATIC_ASSERT(HV_OFFSETOF(struct hv_domctl_info, ram_bytes) == 88, hv_domctl_info_ram_bytes);

/* HV_DOMCTL_LIST(struct hv_domctl_list* arg): the ids of every domain that
 * exists (any state), ascending, written to the uint32_t array at ids_gpa
 * (at most max_ids of them; max_ids 0 only counts, and ids_gpa is then not
 * looked at). Returns the number of ids written; arg->total is how many
 * domains exist, which may be more. Errors: HV_EFAULT (arg, or the array:
 * then nothing is written), HV_EVERSION, HV_EINVAL (padding). */
#define HV_DOMCTL_LIST HV_OP(HV_FAMILY_DOMCTL, 0x05)

struct hv_domctl_list {
  uint32_t interface_version; /* IN */
  uint32_t max_ids;           /* IN: entries of the array */
  uint64_t ids_gpa;           /* IN: uint32_t[max_ids] in the caller's memory */
  uint32_t total;             /* OUT: domains that exist */
  uint32_t pad;               /* IN: 0 */
};
HV_STATIC_ASSERT(sizeof(struct hv_domctl_list) == 24, hv_domctl_list_size);
HV_STATIC_ASSERT(HV_OFFSETOF(struct hv_domctl_list, total) == 16, hv_domctl_list_total);

/* HV_DOMCTL_SET_MAX_MEMORY(struct hv_domctl_max_memory* arg): the most
 * memory the domain may hold (HV_MEMORY_POPULATE stops there); any state.
 * Returns HV_OK. Errors: HV_EFAULT, HV_EVERSION, HV_ESRCH, HV_EINVAL (not a
 * multiple of 4 KiB), HV_ERANGE (below the RAM it holds now, as
 * HV_MEMORY_QUERY's memory_bytes: its memory_bytes less what it released; or
 * above 1 TiB). */
#define HV_DOMCTL_SET_MAX_MEMORY HV_OP(HV_FAMILY_DOMCTL, 0x06)

struct hv_domctl_max_memory {
  uint32_t interface_version; /* IN */
  uint32_t domain_id;         /* IN */
  uint64_t max_memory_bytes;  /* IN */
};
HV_STATIC_ASSERT(sizeof(struct hv_domctl_max_memory) == 16, hv_domctl_max_memory_size);

/* HV_DOMCTL_SET_VCPU_COUNT(struct hv_domctl_vcpu_count* arg): gives a domain
 * that has not started (CREATED or PAUSED) exactly `vcpus` vCPUs: new ones
 * are offline, with every CPU in their affinity; removed ones (the highest
 * numbers) are freed. Returns HV_OK. Errors: HV_EFAULT, HV_EVERSION,
 * HV_ESRCH, HV_EINVAL (padding; vcpus outside 1..64; the domain's cap would
 * be above 100 * vcpus), HV_EBUSY (it has started), HV_ENOMEM (nothing
 * changed). */
#define HV_DOMCTL_SET_VCPU_COUNT HV_OP(HV_FAMILY_DOMCTL, 0x07)

struct hv_domctl_vcpu_count {
  uint32_t interface_version; /* IN */
  uint32_t domain_id;         /* IN */
  uint32_t vcpus;             /* IN: 1..64 */
  uint32_t pad;               /* IN: 0 */
};
HV_STATIC_ASSERT(sizeof(struct hv_domctl_vcpu_count) == 16, hv_domctl_vcpu_count_size);

/* HV_DOMCTL_SET_VCPU_AFFINITY(struct hv_domctl_vcpu_affinity* arg): the
 * CPUs (bit n: CPU n) a vCPU may run on: not empty, and only CPUs that are
 * online (HV_SYSCTL_PHYSINFO, HV_SYSCTL_CPU_TOPOLOGY). A vCPU is placed on
 * one of them when it starts, so only an offline vCPU (of a domain in any
 * state but SHUTTING_DOWN or DEAD) takes a new affinity: the scheduler does
 * not move placed vCPUs yet. Returns HV_OK. Errors: HV_EFAULT, HV_EVERSION,
 * HV_ESRCH, HV_EINVAL (padding; an empty mask; a CPU that is not online),
 * HV_ENOENT (no such vCPU), HV_EBUSY (the vCPU is not offline). */
#define HV_DOMCTL_SET_VCPU_AFFINITY HV_OP(HV_FAMILY_DOMCTL, 0x08)

struct hv_domctl_vcpu_affinity {
  uint32_t interface_version; /* IN */
  uint32_t domain_id;         /* IN */
  uint32_t vcpu;              /* IN */
  uint32_t pad;               /* IN: 0 */
  uint64_t cpu_mask;          /* IN: bit n: CPU n */
};
HV_STATIC_ASSERT(sizeof(struct hv_domctl_vcpu_affinity) == 24, hv_domctl_vcpu_affinity_size);
HV_STATIC_ASSERT(HV_OFFSETOF(struct hv_domctl_vcpu_affinity, cpu_mask) == 16,
                 hv_domctl_vcpu_affinity_cpu_mask);

#endif /* HV_API_DOMCTL_H */
