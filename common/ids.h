// ids.h — the identifiers of the system: events, users and orders.
//
// Event and user ids are 1–64 characters of [A-Za-z0-9_.-], not starting with
// a dot (an event id names files: the sold-out flag, so never "." or ".."). An order id is
// "<event>-<32 lowercase hex>": 128 random bits from getrandom(2), prefixed by
// its event so that any front can find the Redis slot ({event}) of an order
// without a global index. Pure functions; NewOrderId is thread-safe.
#pragma once
#include <string>
#include <string_view>

namespace seckill {

constexpr size_t kMaxIdLength = 64;
constexpr size_t kOrderRandomHex = 32;  // 128 bits
constexpr size_t kMaxOrderIdLength = kMaxIdLength + 1 + kOrderRandomHex;

// The rule, as error messages state it.
inline constexpr const char* kIdRule = "1-64 characters of [A-Za-z0-9_.-], not starting with a dot";

// Returns true when `id` is a valid event or user id.
bool IsValidId(std::string_view id);

// Returns a fresh, unguessable order id for `event`. REQUIRES: IsValidId(event).
std::string NewOrderId(std::string_view event);

// Returns true and sets *event when `order_id` has the shape NewOrderId makes.
bool ParseOrderId(std::string_view order_id, std::string* event);

// Returns `n` random bytes as lowercase hex (2n characters).
std::string RandomHex(size_t n);

}  // namespace seckill
