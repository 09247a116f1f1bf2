#include "admin/token_admin.h"

#include <algorithm>
#include <thread>

#include "common/ids.h"

namespace seckill {

Status MintTokens(const TokenMinter& minter, const std::vector<std::string>& users, int64_t now, int64_t ttl_seconds,
                  int threads, FILE* out, int64_t not_before) {
  for (const std::string& u : users)
    if (!IsValidId(u)) return Status::Invalid("bad user id '" + u.substr(0, 80) + "' (" + kIdRule + ")");
  threads = std::max(1, threads);
  // Blocks of users: each thread signs a stripe of the block into its own
  // slots, then the block is written in order and its memory reused.
  constexpr size_t kBlock = 20000;
  std::vector<std::string> tokens;
  for (size_t start = 0; start < users.size(); start += kBlock) {
    size_t n = std::min(kBlock, users.size() - start);
    tokens.assign(n, std::string());
    std::vector<Status> results(static_cast<size_t>(threads));
    std::vector<std::thread> pool;
    for (int t = 0; t < threads; t++) {
      pool.emplace_back([&, t] {
        for (size_t i = static_cast<size_t>(t); i < n; i += static_cast<size_t>(threads)) {
          Status st = minter.Mint(users[start + i], now, ttl_seconds, &tokens[i], not_before);
          if (!st.ok()) {
            results[static_cast<size_t>(t)] = st;
            return;
          }
        }
      });
    }
    for (auto& th : pool) th.join();
    for (const Status& st : results)
      if (!st.ok()) return st;
    for (const std::string& tok : tokens) {
      fputs(tok.c_str(), out);
      fputc('\n', out);
    }
  }
  if (fflush(out) != 0) return Status::Internal("cannot write the tokens");
  return Status::Ok();
}

}  // namespace seckill
