// version.h — what every program prints for --version: its name and the
// version of the tree it was built from (SECKILL_VERSION: `git describe
// --always --dirty` at build time, "unknown" outside git, which the Makefile
// writes into build/gen/version_string.h). help2man reads the first line for
// the man pages. Header-only; no state.
#pragma once

#include <cstdio>

#include "version_string.h"  // build/gen/: #define SECKILL_VERSION "…"

namespace seckill {

// Prints "PROGRAM VERSION" and the licence to stdout, GNU style.
inline void PrintVersion(const char* program) {
  printf("%s %s\nLicense: Apache-2.0 <https://www.apache.org/licenses/LICENSE-2.0>\n", program, SECKILL_VERSION);
}

}  // namespace seckill
