// router.h — maps (method, path) to an endpoint of the public API
// (docs/api.md). Pure; no allocation beyond the captured id.
#pragma once
#include <string>
#include <string_view>

namespace seckill {

enum class Endpoint {
  kNotFound,          // no such path
  kMethodNotAllowed,  // the path exists, not with this method
  kReserve,           // POST /api/events/{event}/reservations
  kEventStatus,       // GET  /api/events/{event}
  kPay,               // POST /api/orders/{order}/payment
  kCancel,            // POST /api/orders/{order}/cancellation
  kOrderStatus,       // GET  /api/orders/{order}
  kBuyTicket,         // GET|POST /buy/ticket (the seed article's endpoint)
  kHealth,            // GET  /healthz
  kMetrics,           // GET  /metrics (every node of the host), /metrics/{node} (admin only: Prometheus text)
  kStatus,            // GET  /status/{event}   (admin listener only: the operator page's JSON)
};

struct Route {
  Endpoint endpoint = Endpoint::kNotFound;
  std::string id;      // the {event} or {order} segment, not yet validated
  const char* allow;   // the Allow header for kMethodNotAllowed
};

Route MatchRoute(std::string_view method, std::string_view path);

// A short name of the endpoint, for logs and metrics ("reserve", …);
// "unknown" for a value that is no endpoint. constexpr, so that the metrics
// can check their count of endpoints against it at compile time.
constexpr const char* EndpointName(Endpoint e) {
  switch (e) {
    case Endpoint::kNotFound: return "not_found";
    case Endpoint::kMethodNotAllowed: return "method_not_allowed";
    case Endpoint::kReserve: return "reserve";
    case Endpoint::kEventStatus: return "event";
    case Endpoint::kPay: return "pay";
    case Endpoint::kCancel: return "cancel";
    case Endpoint::kOrderStatus: return "order";
    case Endpoint::kBuyTicket: return "buy_ticket";
    case Endpoint::kHealth: return "health";
    case Endpoint::kMetrics: return "metrics";
    case Endpoint::kStatus: return "status";
  }
  return "unknown";
}

}  // namespace seckill
