// SPDX-License-Identifier: Apache-2.0
#include "common/version.h"

namespace prisim {
const char* version_string() { return "prisim 0.1.0"; }
// Bumped whenever a results.json key changes meaning or disappears.
int results_schema_version() { return 1; }
} // namespace prisim
