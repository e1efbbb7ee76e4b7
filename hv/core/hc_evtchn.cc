// SPDX-License-Identifier: Apache-2.0
// HV_FAMILY_EVTCHN (api/hv/evtchn.h).
#include "hv/core/domain.h"
#include "hv/core/domains.h"
#include "hv/core/events.h"
#include "hv/core/hypercall.h"
#include "hv/lib/hot.h"

namespace hv::hypercall {
namespace {

Result Init(Vcpu& v, const Args& a) { return Value(events::Init(*v.domain, a[0])); }
Result SetUpcall(Vcpu& v, const Args& a) { return Value(events::SetUpcall(v, a[0])); }
Result AllocUnbound(Vcpu& v, const Args& a) { return Value(events::AllocUnbound(*v.domain, a[0])); }
Result BindInterdomain(Vcpu& v, const Args& a) {
  return Value(events::BindInterdomain(*v.domain, a[0], a[1]));
}
Result BindVirq(Vcpu& v, const Args& a) { return Value(events::BindVirq(*v.domain, a[0], a[1])); }
Result Send(Vcpu& v, const Args& a) { return Value(events::Send(*v.domain, a[0])); }
Result Close(Vcpu& v, const Args& a) { return Value(events::Close(*v.domain, a[0])); }
Result Unmask(Vcpu& v, const Args& a) { return Value(events::Unmask(*v.domain, a[0])); }

Result Status(Vcpu& v, const Args& a) {
  hv_evtchn_status st;
  const int64_t r = events::Status(*v.domain, a[0], &st);
  if (r != HV_OK) return Value(r);
  if (!domains::CopyToGuest(*v.domain, GuestPhysAddr(a[1]), &st, sizeof(st))) {
    return Value(HV_EFAULT);
  }
  return Value(HV_OK);
}

HV_HOT_RODATA constexpr Op kOps[] = {
    {HV_OP_NUMBER(HV_EVTCHN_INIT), Init},
    {HV_OP_NUMBER(HV_EVTCHN_SET_UPCALL), SetUpcall},
    {HV_OP_NUMBER(HV_EVTCHN_ALLOC_UNBOUND), AllocUnbound},
    {HV_OP_NUMBER(HV_EVTCHN_BIND_INTERDOMAIN), BindInterdomain},
    {HV_OP_NUMBER(HV_EVTCHN_BIND_VIRQ), BindVirq},
    {HV_OP_NUMBER(HV_EVTCHN_SEND), Send},
    {HV_OP_NUMBER(HV_EVTCHN_CLOSE), Close},
    {HV_OP_NUMBER(HV_EVTCHN_STATUS), Status},
    {HV_OP_NUMBER(HV_EVTCHN_UNMASK), Unmask},
};

}  // namespace

HV_HOT_RODATA const Family kEvtchnFamily = {HV_FAMILY_EVTCHN, HV_EVTCHN_INTERFACE_VERSION, Permission::kSelf,
                              kOps, sizeof(kOps) / sizeof(kOps[0])};

}  // namespace hv::hypercall
