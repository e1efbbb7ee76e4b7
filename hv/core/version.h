// SPDX-License-Identifier: Apache-2.0
#pragma once

#define HV_VERSION "0.1.0"
