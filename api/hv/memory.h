/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Memory (HV_FAMILY_MEMORY, interface version 1): a domain's own memory.
 * Permission: any domain, on its own memory.
 *
 * A domain's guest-physical RAM lies in [0, M), where M is the memory it was
 * created with (hv_start_info.memory_bytes, HV_DOMCTL_INFO's memory_bytes);
 * every 4 KiB page of it is populated at creation. Ballooning, as Xen's
 * XENMEM_decrease_reservation and XENMEM_populate_physmap: RELEASE gives
 * pages back to hv (they become unpopulated: any access to them by the guest
 * crashes it, and hv's copies to or from them fail with HV_EFAULT), POPULATE
 * takes fresh zeroed pages for unpopulated ones, up to max_memory_bytes.
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
  uint64_t memory_bytes;     /* OUT: RAM the domain holds now: its populated
                                pages x 4 KiB (all of [0, M) until it releases) */
  uint64_t max_memory_bytes; /* OUT: the most it may hold (HV_DOMCTL_SET_MAX_MEMORY) */
  uint64_t pages;            /* OUT: 4 KiB pages hv holds for the domain: RAM,
                                nested page tables, vCPU state */
};
HV_STATIC_ASSERT(sizeof(struct hv_memory_info) == 24, hv_memory_info_size);
HV_STATIC_ASSERT(HV_OFFSETOF(struct hv_memory_info, pages) == 16, hv_memory_info_pages);

/* The most pages one POPULATE or RELEASE handles. */
#define HV_MEMORY_MAX_PAGES 512

/* HV_MEMORY_POPULATE(uint64_t gpa, uint64_t nr_pages): maps nr_pages fresh
 * zeroed 4 KiB pages at guest-physical gpa.. (unpopulated pages of [0, M)),
 * all or nothing. Returns nr_pages. Errors, checked in this order:
 * HV_EINVAL (gpa not 4 KiB-aligned; nr_pages 0 or over HV_MEMORY_MAX_PAGES),
 * HV_EFAULT (a page outside [0, M)), HV_EEXIST (a page is populated),
 * HV_ENOMEM (the domain would hold more than max_memory_bytes, or hv has not
 * enough free memory). */
#define HV_MEMORY_POPULATE HV_OP(HV_FAMILY_MEMORY, 0x01)

/* HV_MEMORY_RELEASE(uint64_t gpa, uint64_t nr_pages): gives back nr_pages
 * 4 KiB pages at guest-physical gpa.., all populated, all or nothing: they
 * are unmapped and returned to hv's pool (no vCPU of the caller can reach
 * them once the call returns). Returns nr_pages. Errors, checked in this
 * order: HV_EINVAL, HV_EFAULT (as for POPULATE), then per page from the
 * first: HV_ENOENT (not populated), HV_EBUSY (the caller's event page, which
 * hv holds), then HV_ENOMEM (no page for hv's nested page tables). */
#define HV_MEMORY_RELEASE HV_OP(HV_FAMILY_MEMORY, 0x02)

#endif /* HV_API_MEMORY_H */
