// SPDX-License-Identifier: Apache-2.0
#pragma once

#define HV_VERSION_MAJOR 0
#define HV_VERSION_MINOR 1
#define HV_VERSION_PATCH 0
#define HV_VERSION "0.1.0"
