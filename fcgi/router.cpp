#include "fcgi/router.h"

namespace seckill {
namespace {

// If `path` is prefix + segment + suffix with a non-empty segment that has no
// '/', stores the segment and returns true.
bool Capture(std::string_view path, std::string_view prefix, std::string_view suffix, std::string* id) {
  if (path.size() <= prefix.size() + suffix.size()) return false;
  if (path.substr(0, prefix.size()) != prefix) return false;
  if (path.substr(path.size() - suffix.size()) != suffix) return false;
  std::string_view seg = path.substr(prefix.size(), path.size() - prefix.size() - suffix.size());
  if (seg.find('/') != std::string_view::npos) return false;
  id->assign(seg);
  return true;
}

Route Make(std::string_view method, std::string_view want, Endpoint e, std::string id, const char* allow) {
  Route r;
  r.id = std::move(id);
  r.allow = allow;
  r.endpoint = method == want ? e : Endpoint::kMethodNotAllowed;
  return r;
}

}  // namespace

Route MatchRoute(std::string_view method, std::string_view path) {
  std::string id;
  if (Capture(path, "/api/events/", "/reservations", &id)) return Make(method, "POST", Endpoint::kReserve, id, "POST");
  if (Capture(path, "/api/events/", "", &id)) return Make(method, "GET", Endpoint::kEventStatus, id, "GET");
  if (Capture(path, "/api/orders/", "/payment", &id)) return Make(method, "POST", Endpoint::kPay, id, "POST");
  if (Capture(path, "/api/orders/", "/cancellation", &id)) return Make(method, "POST", Endpoint::kCancel, id, "POST");
  if (Capture(path, "/api/orders/", "", &id)) return Make(method, "GET", Endpoint::kOrderStatus, id, "GET");
  if (path == "/buy/ticket") {
    Route r = Make(method, "GET", Endpoint::kBuyTicket, "", "GET, POST");
    if (method == "POST") r.endpoint = Endpoint::kBuyTicket;
    return r;
  }
  if (path == "/healthz") return Make(method, "GET", Endpoint::kHealth, "", "GET");
  if (path == "/metrics") return Make(method, "GET", Endpoint::kMetrics, "", "GET");  // the whole host
  if (Capture(path, "/metrics/", "", &id)) return Make(method, "GET", Endpoint::kMetrics, id, "GET");
  if (Capture(path, "/status/", "", &id)) return Make(method, "GET", Endpoint::kStatus, id, "GET");
  Route r;
  r.allow = "";
  return r;
}

}  // namespace seckill
