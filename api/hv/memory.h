/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Memory (HV_FAMILY_MEMORY, interface version 1): a domain's own memory.
 * Permission: any domain, on its own memory.
 *
 * Ballooning (POPULATE, RELEASE) is reserved: hv's nested page tables cannot
 * unmap yet, so both answer HV_ENOSYS, and their arguments will be defined
 * with them. Their numbers are taken and never reused.
 */
#ifndef HV_API_MEMORY_H
#define HV_API_MEMORY_H

#include <stdint.h>

#include "hv/hypercall.h"

#define HV_MEMORY_INTERFACE_VERSION 1

/* HV_MEMORY_QUERY(struct hv_memory_info* out): the caller's memory.
 * Returns HV_OK. Errors: HV_EFAULT. */
#define HV_MEMORY_QUERY HV_OP(HV_FAMILY_MEMORY, 0x00)

struct hv_memory_info {
  uint64_t memory_bytes;     /* OUT: guest RAM is [0, memory_bytes) */
  uint64_t max_memory_bytes; /* OUT: the most it may hold (HV_DOMCTL_SET_MAX_MEMORY) */
  uint64_t pages;            /* OUT: 4 KiB pages hv holds for the domain: RAM,
                                nested page tables, vCPU state */
};
HV_STATIC_ASSERT(sizeof(struct hv_memory_info) == 24, hv_memory_info_size);
HV_STATIC_ASSERT(HV_OFFSETOF(struct hv_memory_info, pages) == 16, hv_memory_info_pages);

/* HV_MEMORY_POPULATE: reserved (adds RAM up to max_memory_bytes). HV_ENOSYS. */
#define HV_MEMORY_POPULATE HV_OP(HV_FAMILY_MEMORY, 0x01)

/* HV_MEMORY_RELEASE: reserved (gives RAM back to hv). HV_ENOSYS. */
#define HV_MEMORY_RELEASE HV_OP(HV_FAMILY_MEMORY, 0x02)

#endif /* HV_API_MEMORY_H */
