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

#endif /* HV_API_CONSOLE_H */
