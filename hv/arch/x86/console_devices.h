// SPDX-License-Identifier: Apache-2.0
// The UARTs behind hv's console.
#pragma once

#include "hv/arch/x86/uart.h"

namespace hv::x86 {

void InitConsoleDevices(bool com1, bool com2);
// A byte typed on any console UART, or -1.
int ConsoleGetChar();
// CpuIndex() may read GS from now on.
void EnablePerCpuIndex();

}  // namespace hv::x86
