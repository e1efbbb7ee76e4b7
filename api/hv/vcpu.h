/* SPDX-License-Identifier: Apache-2.0 */
/*
 * vCPUs (HV_FAMILY_VCPU, interface version 1): starting and stopping the
 * caller's own vCPUs, and what they are doing. Permission: the caller's own
 * domain.
 */
#ifndef HV_API_VCPU_H
#define HV_API_VCPU_H

#include <stdint.h>

#include "hv/hypercall.h"

#define HV_VCPU_INTERFACE_VERSION 1

/* HV_VCPU_UP(uint32_t vcpu, uint64_t rip, uint64_t rsp, uint64_t arg):
 * starts an offline vCPU of the caller's domain in 64-bit mode with the same
 * page tables (CR3), GDT and control registers as the calling vCPU, at rip
 * with rsp, and RDI = arg. Errors: HV_ENOENT (no such vCPU), HV_EBUSY (it is
 * not offline). */
#define HV_VCPU_UP HV_OP(HV_FAMILY_VCPU, 0x00)

/* HV_VCPU_DOWN(): takes the calling vCPU offline; does not return. Errors:
 * HV_EBUSY (the last online vCPU of the domain: use HV_SCHED_SHUTDOWN). */
#define HV_VCPU_DOWN HV_OP(HV_FAMILY_VCPU, 0x01)

/* HV_VCPU_INFO(uint32_t vcpu, struct hv_vcpu_info* out). Errors: HV_ENOENT,
 * HV_EFAULT. */
#define HV_VCPU_INFO HV_OP(HV_FAMILY_VCPU, 0x02)

#define HV_VCPU_STATE_OFFLINE 0
#define HV_VCPU_STATE_RUNNABLE 1
#define HV_VCPU_STATE_RUNNING 2
#define HV_VCPU_STATE_BLOCKED 3

struct hv_vcpu_info {
  uint32_t state;       /* OUT: HV_VCPU_STATE_* */
  uint32_t cpu;         /* OUT: the physical CPU it runs or waits on */
  uint64_t runtime_ns;  /* OUT: time it has run */
  uint64_t exits;       /* OUT: #VMEXITs so far */
};
HV_STATIC_ASSERT(sizeof(struct hv_vcpu_info) == 24, hv_vcpu_info_size);
HV_STATIC_ASSERT(HV_OFFSETOF(struct hv_vcpu_info, runtime_ns) == 8, hv_vcpu_info_runtime_ns);

#endif /* HV_API_VCPU_H */
