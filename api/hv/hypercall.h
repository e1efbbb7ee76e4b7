/* SPDX-License-Identifier: Apache-2.0 */
/*
 * hv's hypercall ABI: how a guest calls hv, and what every op returns.
 *
 * A guest calls with VMMCALL from ring 0:
 *   RAX  IN: the op (HV_OP(family, number))   OUT: the result, an int64_t
 *   RDI, RSI, RDX, R10, R8   IN: arguments 1-5
 * Every other register is preserved. A result >= 0 is success (op-specific
 * value); a result < 0 is one of the HV_E* errors below.
 *
 * Pointers are guest-physical addresses of the caller's own memory; hv checks
 * them against the caller's nested page tables and answers HV_EFAULT for
 * anything else. Structures are fixed-width, little-endian, with explicit
 * padding that must be zero (HV_EINVAL otherwise).
 *
 * Versioning. Each op family has an interface version. A control op carries
 * the version it was built against as its first field and is refused with
 * HV_EVERSION on a mismatch. The version changes only on an incompatible
 * change; additions take new op numbers, and numbers are never reused. The
 * discovery family (HV_FAMILY_VERSION) never changes.
 */
#ifndef HV_API_HYPERCALL_H
#define HV_API_HYPERCALL_H

#include <stdint.h>

/* Layout checks that work in C99 and C++ alike. */
#ifdef __cplusplus
#define HV_STATIC_ASSERT(cond, name) static_assert(cond, #name)
#else
#define HV_STATIC_ASSERT(cond, name) typedef char hv_static_assert_##name[(cond) ? 1 : -1]
#endif
#define HV_OFFSETOF(type, field) __builtin_offsetof(type, field)

#define HV_OP(family, number) (((uint64_t)(family) << 8) | (uint64_t)(number))
#define HV_OP_FAMILY(op) ((uint32_t)((op) >> 8))
#define HV_OP_NUMBER(op) ((uint32_t)((op)&0xff))

/* Op families. */
#define HV_FAMILY_VERSION 0x00   /* discovery: stable forever */
#define HV_FAMILY_CONSOLE 0x01
#define HV_FAMILY_SCHED 0x02
#define HV_FAMILY_VCPU 0x03
#define HV_FAMILY_EVTCHN 0x04
#define HV_FAMILY_MEMORY 0x05
#define HV_FAMILY_DOMCTL 0x06    /* privileged: dom0 */
#define HV_FAMILY_SYSCTL 0x07    /* privileged: dom0 */
#define HV_FAMILY_LIVEPATCH 0x08 /* privileged: dom0 */
#define HV_FAMILY_COUNT 0x09

/* Errors. Values are fixed forever. */
#define HV_OK 0
#define HV_EPERM (-1)      /* the caller may not do this */
#define HV_ENOENT (-2)     /* no such object (domain, port, ...) */
#define HV_ESRCH (-3)      /* no such domain */
#define HV_EINTR (-4)
#define HV_EAGAIN (-11)    /* try again */
#define HV_ENOMEM (-12)    /* out of memory */
#define HV_EACCES (-13)
#define HV_EFAULT (-14)    /* a pointer outside the caller's memory, or misaligned */
#define HV_EBUSY (-16)
#define HV_EEXIST (-17)
#define HV_EINVAL (-22)    /* a bad argument, or padding that is not zero */
#define HV_ENOSPC (-28)
#define HV_ERANGE (-34)    /* a value out of range */
#define HV_ENOSYS (-38)    /* no such op */
#define HV_EVERSION (-1000) /* the op's interface version does not match */

#endif /* HV_API_HYPERCALL_H */
