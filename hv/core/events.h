// SPDX-License-Identifier: Apache-2.0
// Event channels: ports between domains and from hv (VIRQs), delivered
// through the domain's event page and an upcall interrupt (api/hv/evtchn.h).
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "hv/core/domain.h"
#include "hv/evtchn.h"

namespace hv::events {

// The calls behind HV_FAMILY_EVTCHN; each returns an HV_* value.
int64_t Init(Domain& d, uint64_t page_gpa);
int64_t SetUpcall(Vcpu& v, uint64_t vector);
int64_t AllocUnbound(Domain& d, uint64_t remote_domain);
int64_t BindInterdomain(Domain& d, uint64_t remote_domain, uint64_t remote_port);
int64_t BindVirq(Domain& d, uint64_t virq, uint64_t vcpu);
int64_t Send(Domain& d, uint64_t port);
int64_t Close(Domain& d, uint64_t port);
int64_t Status(Domain& d, uint64_t port, hv_evtchn_status* out);
int64_t Unmask(Domain& d, uint64_t port);

// hv raises a VIRQ on a vCPU (a timer, console input, ...). Safe from
// interrupt context.
void RaiseVirq(Vcpu& v, uint32_t virq);

// Whether the domain has a port bound to `virq` on vCPU `vcpu`.
bool VirqBound(const Domain& d, uint32_t vcpu, uint32_t virq);

// Makes the vCPU look at its events: marks an upcall and wakes it if blocked.
void Kick(Vcpu& v, bool upcall);

// One line for the console's domain listing: ports in use, pending and
// masked bits of the first word.
void Describe(const Domain& d, char* buf, size_t size);

// HV_SCHED_POLL: HV_OK if any of the ports is pending, HV_EAGAIN if none is
// (then the caller blocks), or an error for a bad port.
int64_t PollCheck(Domain& d, const uint32_t* ports, uint32_t count);

// Closes every port (the other ends become unbound) and frees the state.
void Teardown(Domain& d);

}  // namespace hv::events
