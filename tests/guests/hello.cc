// SPDX-License-Identifier: Apache-2.0
// The smallest guest test: prints a line and succeeds.
#include "tests/guests/lib/guest.h"

void test_main() { guest::Printf("Hello from domain %u\n", guest::DomainId()); }
