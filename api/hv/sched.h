/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Scheduling (HV_FAMILY_SCHED, interface version 1): the calling vCPU gives
 * up the CPU, waits, or ends its domain. Permission: the caller's own vCPU.
 */
#ifndef HV_API_SCHED_H
#define HV_API_SCHED_H

#include <stdint.h>

#include "hv/hypercall.h"

#define HV_SCHED_INTERFACE_VERSION 1

/* HV_SCHED_YIELD(): lets another vCPU run. Returns HV_OK. */
#define HV_SCHED_YIELD HV_OP(HV_FAMILY_SCHED, 0x00)

/* HV_SCHED_SHUTDOWN(uint32_t reason): ends the caller's domain with reason
 * (HV_SHUTDOWN_*); does not return. Errors: HV_EINVAL (unknown reason). */
#define HV_SCHED_SHUTDOWN HV_OP(HV_FAMILY_SCHED, 0x01)
#define HV_SHUTDOWN_POWEROFF 0
#define HV_SHUTDOWN_REBOOT 1
#define HV_SHUTDOWN_CRASH 2

/* HV_SCHED_BLOCK(): the vCPU sleeps until an event is pending for it (an
 * event-channel upcall or its one-shot timer); returns at once if one is
 * already pending. Returns HV_OK. HLT with interrupts enabled does the same. */
#define HV_SCHED_BLOCK HV_OP(HV_FAMILY_SCHED, 0x02)

/* HV_SCHED_SET_TIMER(uint64_t timeout_ns): arms the calling vCPU's one-shot
 * timer to fire after timeout_ns (0 cancels it). When it fires, VIRQ
 * HV_VIRQ_TIMER is raised on that vCPU. Errors: HV_EINVAL (over 1 hour). */
#define HV_SCHED_SET_TIMER HV_OP(HV_FAMILY_SCHED, 0x03)
#define HV_SCHED_TIMER_MAX_NS 3600000000000ull

/* HV_SCHED_POLL(uint64_t ports_gpa, uint32_t nr_ports, uint64_t timeout_ns):
 * the calling vCPU sleeps until one of the nr_ports event-channel ports in
 * the uint32_t array at ports_gpa is pending in its event page (masked or
 * not), or timeout_ns passes (0: no timeout). Returns HV_OK at once if one is
 * already pending; may also return early on other events for the vCPU: check
 * the pending bits. Errors: HV_EINVAL (nr_ports 0 or over HV_SCHED_POLL_MAX,
 * a port out of range or closed, no event page, timeout over
 * HV_SCHED_TIMER_MAX_NS), HV_EFAULT (the array is not the caller's memory). */
#define HV_SCHED_POLL HV_OP(HV_FAMILY_SCHED, 0x04)
#define HV_SCHED_POLL_MAX 128

#endif /* HV_API_SCHED_H */
