/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The console (HV_FAMILY_CONSOLE, interface version 1). A domain's output
 * goes to its own console ring and to hv's console as "(dN) ..." lines.
 * Permission: anyone, on its own console.
 */
#ifndef HV_API_CONSOLE_H
#define HV_API_CONSOLE_H

#include <stdint.h>

#include "hv/hypercall.h"

#define HV_CONSOLE_INTERFACE_VERSION 1

/* HV_CONSOLE_WRITE(uint64_t gpa, uint64_t len): writes len bytes (at most
 * HV_CONSOLE_WRITE_MAX) from the caller's memory at gpa. Returns the bytes
 * written. Errors: HV_EFAULT (not the caller's memory), HV_EINVAL (too long). */
#define HV_CONSOLE_WRITE HV_OP(HV_FAMILY_CONSOLE, 0x00)
#define HV_CONSOLE_WRITE_MAX 4096

/* HV_CONSOLE_READ(struct hv_console_read* arg): reads a domain's console
 * output, which hv keeps in a ring of its last HV_CONSOLE_RING_SIZE bytes, as a
 * stream: byte positions count from the domain's first byte. A domain may
 * read its own console; a control domain any. Returns HV_OK.
 * Errors: HV_EFAULT (arg or buffer not in the caller's memory), HV_EVERSION,
 * HV_EINVAL (size over HV_CONSOLE_WRITE_MAX), HV_EPERM
 * (another domain's console, from a domain that is not a control domain),
 * HV_ESRCH (no such domain). */
#define HV_CONSOLE_READ HV_OP(HV_FAMILY_CONSOLE, 0x01)
#define HV_CONSOLE_RING_SIZE 16384

struct hv_console_read {
  uint32_t interface_version; /* IN: HV_CONSOLE_INTERFACE_VERSION */
  uint32_t domain_id;         /* IN */
  uint64_t position;          /* IN: first stream position wanted; OUT: the
                                 position of the first byte returned (later,
                                 if the ring no longer holds those bytes) */
  uint64_t buffer_gpa;        /* IN: where the bytes go */
  uint32_t size;              /* IN: at most this many */
  uint32_t returned;          /* OUT: bytes copied */
  uint64_t end;               /* OUT: the stream position after the last byte */
};
HV_STATIC_ASSERT(sizeof(struct hv_console_read) == 40, hv_console_read_size);
HV_STATIC_ASSERT(HV_OFFSETOF(struct hv_console_read, end) == 32, hv_console_read_end);

/* HV_CONSOLE_INPUT(uint64_t gpa, uint64_t len): takes up to len bytes of
 * hv's console input for the caller into its memory at gpa; returns how many
 * (0: none waiting). Input comes to a domain while hv's console is switched
 * to it (Ctrl-A three times on hv's console cycles through the domains with
 * a UART and those with HV_VIRQ_CONSOLE bound on vCPU 0) and it has no
 * virtual UART; each byte raises HV_VIRQ_CONSOLE on its vCPU 0. hv queues
 * HV_CONSOLE_INPUT_QUEUE bytes and drops what comes beyond, as a UART
 * overruns. Bytes that cannot be copied stay queued.
 * Errors: HV_EFAULT (not the caller's memory), HV_EINVAL (len over
 * HV_CONSOLE_WRITE_MAX). */
#define HV_CONSOLE_INPUT HV_OP(HV_FAMILY_CONSOLE, 0x02)
#define HV_CONSOLE_INPUT_QUEUE 256

#endif /* HV_API_CONSOLE_H */
