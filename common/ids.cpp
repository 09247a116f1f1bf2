#include "common/ids.h"

#include <sys/random.h>

#include <cerrno>
#include <cstdint>
#include <stdexcept>

namespace seckill {

bool IsValidId(std::string_view id) {
  if (id.empty() || id.size() > kMaxIdLength || id[0] == '.') return false;
  for (unsigned char c : id) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '_' || c == '.' || c == '-';
    if (!ok) return false;
  }
  return true;
}

std::string RandomHex(size_t n) {
  static const char kHex[] = "0123456789abcdef";
  unsigned char buf[64];
  std::string out;
  out.reserve(2 * n);
  while (n > 0) {
    size_t want = n < sizeof buf ? n : sizeof buf;
    ssize_t got = getrandom(buf, want, 0);
    if (got < 0) {
      if (errno == EINTR) continue;
      throw std::runtime_error("getrandom failed");  // no entropy: nothing sane to do
    }
    for (ssize_t i = 0; i < got; i++) {
      out.push_back(kHex[buf[i] >> 4]);
      out.push_back(kHex[buf[i] & 15]);
    }
    n -= static_cast<size_t>(got);
  }
  return out;
}

std::string NewOrderId(std::string_view event) {
  std::string id(event);
  id.push_back('-');
  id += RandomHex(kOrderRandomHex / 2);
  return id;
}

bool ParseOrderId(std::string_view order_id, std::string* event) {
  if (order_id.size() < kOrderRandomHex + 2 || order_id.size() > kMaxOrderIdLength) return false;
  size_t dash = order_id.size() - kOrderRandomHex - 1;
  if (order_id[dash] != '-') return false;
  for (char c : order_id.substr(dash + 1)) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  }
  std::string_view ev = order_id.substr(0, dash);
  if (!IsValidId(ev)) return false;
  event->assign(ev);
  return true;
}

}  // namespace seckill
