// SPDX-License-Identifier: Apache-2.0
// A triple fault ends only this domain: hv says "d<N> crashed" and keeps
// running. With an empty IDT, int3 raises #GP, which raises #DF, which is a
// triple fault (a shutdown) for the vCPU. Prints no result line on purpose.
#include "tests/guests/lib/guest.h"

void test_main() {
  guest::Printf("triple_fault: loading an empty IDT, then int3\n");
  guest::Lidt(guest::DescriptorPointer{.limit = 0, .base = 0});
  asm volatile("int3");
  guest::Failure("still running after a triple fault");
}
