// SPDX-License-Identifier: Apache-2.0
#pragma once

namespace prisim {
// "prisim <version>", for --version and results.json.
const char* version_string();
int results_schema_version();
} // namespace prisim
