/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Event channels (HV_FAMILY_EVTCHN, interface version 1): one-bit
 * notifications between domains, and from hv (VIRQs). Permission: the
 * caller's own domain (interdomain binding needs the other end to have
 * allocated the port for the caller).
 *
 * Delivery. A domain registers an event page (HV_EVTCHN_INIT): hv sets a
 * port's bit in `pending` when it fires and, unless the port's bit in `mask`
 * is set, raises the upcall: an interrupt on the vector the target vCPU
 * registered, delivered when the vCPU has interrupts enabled. The guest
 * clears pending bits itself (atomically) and may mask ports. A blocked vCPU
 * (HLT, HV_SCHED_BLOCK) wakes when an upcall is raised for it.
 */
#ifndef HV_API_EVTCHN_H
#define HV_API_EVTCHN_H

#include <stdint.h>

#include "hv/hypercall.h"

#define HV_EVTCHN_INTERFACE_VERSION 1
#define HV_EVTCHN_PORTS 1024 /* ports 1..1023; 0 is never a valid port */

/* The event page: 4 KiB, page-aligned, in the domain's own memory. */
struct hv_event_page {
  uint64_t pending[HV_EVTCHN_PORTS / 64]; /* IN/OUT: hv sets, the guest clears */
  uint64_t mask[HV_EVTCHN_PORTS / 64];    /* IN: set by the guest */
  uint8_t pad[4096 - 2 * (HV_EVTCHN_PORTS / 8)];
};
HV_STATIC_ASSERT(sizeof(struct hv_event_page) == 4096, hv_event_page_size);
HV_STATIC_ASSERT(HV_OFFSETOF(struct hv_event_page, mask) == 128, hv_event_page_mask);

/* HV_EVTCHN_INIT(uint64_t page_gpa): registers the event page. Errors:
 * HV_EFAULT (not a page of the caller's memory), HV_EEXIST (already set). */
#define HV_EVTCHN_INIT HV_OP(HV_FAMILY_EVTCHN, 0x00)

/* HV_EVTCHN_SET_UPCALL(uint32_t vector): the calling vCPU's upcall vector
 * (32..255; 0 turns upcalls off). Errors: HV_EINVAL. */
#define HV_EVTCHN_SET_UPCALL HV_OP(HV_FAMILY_EVTCHN, 0x01)

/* HV_EVTCHN_ALLOC_UNBOUND(uint32_t remote_domain): a fresh local port that
 * remote_domain may bind to. Returns the port. Errors: HV_ESRCH, HV_ENOSPC. */
#define HV_EVTCHN_ALLOC_UNBOUND HV_OP(HV_FAMILY_EVTCHN, 0x02)

/* HV_EVTCHN_BIND_INTERDOMAIN(uint32_t remote_domain, uint32_t remote_port):
 * connects a fresh local port to the remote's unbound port (allocated for
 * the caller). Returns the local port. Errors: HV_ESRCH, HV_EINVAL (not an
 * unbound port for the caller), HV_ENOSPC. */
#define HV_EVTCHN_BIND_INTERDOMAIN HV_OP(HV_FAMILY_EVTCHN, 0x03)

/* HV_EVTCHN_BIND_VIRQ(uint32_t virq, uint32_t vcpu): a fresh port raised by
 * hv for virq on that vCPU. Returns the port. Errors: HV_EINVAL (unknown
 * virq or vcpu), HV_EEXIST (virq already bound on that vCPU), HV_ENOSPC. */
#define HV_EVTCHN_BIND_VIRQ HV_OP(HV_FAMILY_EVTCHN, 0x04)
#define HV_VIRQ_TIMER 0        /* the vCPU's one-shot timer (HV_SCHED_SET_TIMER) */
#define HV_VIRQ_CONSOLE 1      /* hv's console input waits (HV_CONSOLE_INPUT) */
#define HV_VIRQ_DOMAIN_STATE 2 /* a domain changed state (dom0) */
#define HV_VIRQ_COUNT 3

/* HV_EVTCHN_SEND(uint32_t port): fires the port's other end. Errors:
 * HV_EINVAL (not a bound interdomain port). */
#define HV_EVTCHN_SEND HV_OP(HV_FAMILY_EVTCHN, 0x05)

/* HV_EVTCHN_CLOSE(uint32_t port): closes it; the other end becomes unbound.
 * Errors: HV_EINVAL. */
#define HV_EVTCHN_CLOSE HV_OP(HV_FAMILY_EVTCHN, 0x06)

/* HV_EVTCHN_STATUS(uint32_t port, struct hv_evtchn_status* out). Errors:
 * HV_EINVAL, HV_EFAULT. */
#define HV_EVTCHN_STATUS HV_OP(HV_FAMILY_EVTCHN, 0x07)
#define HV_EVTCHN_CLOSED 0
#define HV_EVTCHN_UNBOUND 1
#define HV_EVTCHN_INTERDOMAIN 2
#define HV_EVTCHN_VIRQ 3

struct hv_evtchn_status {
  uint32_t state;         /* OUT: HV_EVTCHN_* */
  uint32_t vcpu;          /* OUT: the vCPU it notifies */
  uint32_t remote_domain; /* OUT: unbound/interdomain */
  uint32_t remote_port;   /* OUT: interdomain */
  uint32_t virq;          /* OUT: virq */
  uint32_t pad;           /* OUT, 0 */
};
HV_STATIC_ASSERT(sizeof(struct hv_evtchn_status) == 24, hv_evtchn_status_size);

/* HV_EVTCHN_UNMASK(uint32_t port): clears the mask bit and, if the port is
 * pending, raises the upcall it missed. Errors: HV_EINVAL. */
#define HV_EVTCHN_UNMASK HV_OP(HV_FAMILY_EVTCHN, 0x08)

#endif /* HV_API_EVTCHN_H */
