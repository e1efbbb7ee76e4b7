/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Discovery (HV_FAMILY_VERSION): what hv this is and what it offers. Stable:
 * these ops and structures never change, so any guest or agent can ask.
 * Permission: anyone.
 */
#ifndef HV_API_VERSION_H
#define HV_API_VERSION_H

#include <stdint.h>

#include "hv/hypercall.h"

/* HV_VERSION_GET(struct hv_version_info* out): fills *out.
 * Errors: HV_EFAULT. */
#define HV_VERSION_GET HV_OP(HV_FAMILY_VERSION, 0x00)

/* HV_VERSION_FAMILY(uint32_t family): the interface version of a family, or
 * HV_ENOSYS if hv has no such family. */
#define HV_VERSION_FAMILY HV_OP(HV_FAMILY_VERSION, 0x01)

/* Capability bits in hv_version_info.capabilities. */
#define HV_CAP_NPT (1ull << 0)        /* nested paging */
#define HV_CAP_SUPERPAGES (1ull << 1) /* 2 MiB / 1 GiB guest mappings */

struct hv_version_info {
  uint16_t major;           /* OUT */
  uint16_t minor;           /* OUT */
  uint16_t patch;           /* OUT */
  uint16_t pad0;            /* OUT, 0 */
  uint32_t domain_id;       /* OUT: the caller's domain */
  uint32_t vcpu_id;         /* OUT: the calling vCPU */
  uint64_t capabilities;    /* OUT: HV_CAP_* */
  char build_id[48];        /* OUT: hex, NUL-terminated */
};

HV_STATIC_ASSERT(sizeof(struct hv_version_info) == 72, hv_version_info_size);
HV_STATIC_ASSERT(HV_OFFSETOF(struct hv_version_info, domain_id) == 8, hv_version_info_domain_id);
HV_STATIC_ASSERT(HV_OFFSETOF(struct hv_version_info, capabilities) == 16, hv_version_info_capabilities);
HV_STATIC_ASSERT(HV_OFFSETOF(struct hv_version_info, build_id) == 24, hv_version_info_build_id);

#endif /* HV_API_VERSION_H */
