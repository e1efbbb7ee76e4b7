/* SPDX-License-Identifier: Apache-2.0 */
/*
 * How hv starts a test kernel (an ELF64 image): in 64-bit mode, paging on
 * with the first 4 GiB of guest-physical memory identity-mapped (2 MiB
 * supervisor pages), CR4 = PAE | PGE | OSFXSR | OSXMMEXCPT plus SMEP and
 * SMAP where the CPU has them, interrupts off, at the ELF entry, with RSI =
 * the guest-physical address of a struct hv_start_info and RSP = the top of
 * a small stack.
 * Other vCPUs start offline; HV_VCPU_UP starts them.
 * Linux bzImages get Linux's own 64-bit boot protocol instead.
 */
#ifndef HV_API_START_INFO_H
#define HV_API_START_INFO_H

#include <stdint.h>

#include "hv/hypercall.h"

#define HV_START_INFO_MAGIC 0x6876737461727431ull /* "hvstart1" */

struct hv_start_info {
  uint64_t magic;         /* HV_START_INFO_MAGIC */
  uint32_t domain_id;
  uint32_t vcpu_count;
  uint64_t memory_bytes;  /* guest RAM is [0, memory_bytes) */
  uint64_t cmdline_gpa;   /* NUL-terminated, or 0 */
  uint64_t free_gpa;      /* first guest page not used by the image, tables or this */
  uint64_t tsc_hz;        /* the TSC's rate, as hv calibrated it */
};

HV_STATIC_ASSERT(sizeof(struct hv_start_info) == 48, hv_start_info_size);
HV_STATIC_ASSERT(HV_OFFSETOF(struct hv_start_info, memory_bytes) == 16, hv_start_info_memory_bytes);
HV_STATIC_ASSERT(HV_OFFSETOF(struct hv_start_info, cmdline_gpa) == 24, hv_start_info_cmdline_gpa);
HV_STATIC_ASSERT(HV_OFFSETOF(struct hv_start_info, free_gpa) == 32, hv_start_info_free_gpa);
HV_STATIC_ASSERT(HV_OFFSETOF(struct hv_start_info, tsc_hz) == 40, hv_start_info_tsc_hz);

#endif /* HV_API_START_INFO_H */
