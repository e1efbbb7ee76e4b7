/* SPDX-License-Identifier: Apache-2.0 */
/* Every ABI header compiles as C99 (-pedantic-errors); their layout checks
 * (HV_STATIC_ASSERT) run at compile time. At run time: the op encoding. */
#include "hv/console.h"
#include "hv/domctl.h"
#include "hv/evtchn.h"
#include "hv/hypercall.h"
#include "hv/memory.h"
#include "hv/sched.h"
#include "hv/start_info.h"
#include "hv/sysctl.h"
#include "hv/vcpu.h"
#include "hv/version.h"

int main(void) {
  if (HV_OP_FAMILY(HV_CONSOLE_WRITE) != HV_FAMILY_CONSOLE) return 1;
  if (HV_OP_NUMBER(HV_SCHED_SHUTDOWN) != 1) return 1;
  if (HV_OP(HV_FAMILY_SCHED, 0) != 0x200) return 1;
  if (HV_OP_FAMILY(HV_DOMCTL_SET_VCPU_AFFINITY) != HV_FAMILY_DOMCTL) return 1;
  if (HV_OP_FAMILY(HV_SYSCTL_SCHED_INFO) != HV_FAMILY_SYSCTL) return 1;
  if (HV_OP_FAMILY(HV_MEMORY_RELEASE) != HV_FAMILY_MEMORY) return 1;
  return 0;
}
