// token_admin.h — seckill-admin's identity commands: `keygen` (the local
// stack's key pair) and `token` (tokens for load runs and tests), over
// common/token_mint.h. Minting is spread over threads: 250,000 RS256 tokens
// take 35 s on 2 cores, ES256 ones about 4 s (docs/benchmarks-notes.md).
#pragma once
#include <cstdint>
#include <cstdio>
#include <string>
#include <vector>

#include "common/status.h"
#include "common/token_mint.h"

namespace seckill {

// Mints one token per user of `users`, in order, on `threads` threads, and
// writes them to `out`, one a line. Returns Invalid naming the first user
// that is not a valid id (before anything is written), Internal on a
// signing failure.
// `not_before` > 0: each token gets that nbf claim.
Status MintTokens(const TokenMinter& minter, const std::vector<std::string>& users, int64_t now, int64_t ttl_seconds,
                  int threads, FILE* out, int64_t not_before = 0);

}  // namespace seckill
