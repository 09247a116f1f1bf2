#include "fcgi/api.h"

#include <cstdio>
#include <cstdlib>
#include <memory>
#include <vector>

#include "common/clock.h"
#include "common/ids.h"
#include "common/keys.h"
#include "fcgi/opening_flag.h"

namespace seckill {
namespace {

Response Unavailable(const std::string& detail) {
  // A paused sale is expected, and answered thousands of times a second:
  // say why to the client, and do not log each one.
  if (detail == kUnverifiedRedis) return ErrorResponse(503, "unavailable", "sales are paused: " + detail);
  if (detail == kNotConfirmed) return ErrorResponse(503, "unavailable", kNotConfirmed);
  if (!detail.empty()) fprintf(stderr, "unavailable: %s\n", detail.c_str());
  return ErrorResponse(503, "unavailable", "try again shortly");
}

Response Internal(const std::string& detail) {
  fprintf(stderr, "internal error: %s\n", detail.c_str());
  return ErrorResponse(500, "internal");
}

}  // namespace

Response UnauthorizedResponse(AuthError why) {
  Response r = ErrorResponse(401, "unauthorized",
                             why == AuthError::kMissing ? "sign in: send Authorization: Bearer <token>" : AuthErrorName(why));
  r.www_authenticate = why == AuthError::kMissing ? "Bearer realm=\"seckill\"" : "Bearer realm=\"seckill\", error=\"invalid_token\"";
  return r;
}

bool Api::Authenticate(const HttpRequest& req, std::string* user, Response* error) const {
  if (req.authorization.empty()) {
    *error = UnauthorizedResponse(AuthError::kMissing);
    return false;
  }
  Identity id;
  AuthError e = verifier_ ? verifier_->VerifyHeader(req.authorization, WallMillis() / 1000, &id) : AuthError::kUnknownKey;
  if (e != AuthError::kOk) {
    *error = UnauthorizedResponse(e);
    return false;
  }
  *user = std::move(id.user);
  return true;
}

Response Api::Handle(const Route& route, const HttpRequest& req) {
  switch (route.endpoint) {
    case Endpoint::kReserve: return Reserve(route.id, req);
    case Endpoint::kEventStatus: return EventStatus(route.id);
    case Endpoint::kPay:
    case Endpoint::kCancel:
    case Endpoint::kOrderStatus: return OrderAction(route.endpoint, route.id, req);
    case Endpoint::kBuyTicket: return BuyTicket(req);
    case Endpoint::kHealth: return Health();
    case Endpoint::kMetrics:
      if (!req.admin) break;
      return MetricsText(route.id);
    case Endpoint::kStatus:
      if (!req.admin) break;
      return OperatorStatus(admin_.status, route.id);
    case Endpoint::kMethodNotAllowed: {
      Response r = ErrorResponse(405, "method_not_allowed");
      r.allow = route.allow;
      return r;
    }
    case Endpoint::kNotFound: break;
  }
  return ErrorResponse(404, "not_found");
}

Response Api::Reserve(const std::string& event, const HttpRequest& req) {
  if (!IsValidId(event)) return ErrorResponse(400, "bad_request", std::string("event id must be ") + kIdRule);
  std::string user;
  Response error;
  if (!Authenticate(req, &user, &error)) return error;
  ReserveResult r = reservations_->Reserve(event, user);
  using O = ReserveResult::Outcome;
  switch (r.outcome) {
    case O::kReserved:
      return JsonResponse(201, {{"order_id", r.order_id}, {"event", event}, {"user_id", user},
                                {"node", reservations_->node()}, {"expires_at", r.expires_at_ms / 1000.0}});
    case O::kSoldOut: return ErrorResponse(409, "sold_out");
    case O::kLimit:
      return JsonResponse(429, {{"error", "limit_reached"}, {"order_id", r.order_id}});
    case O::kNoEvent: return ErrorResponse(404, "no_such_event");
    case O::kNotOpen: return NotOpenResponse(r.at_ms);
    case O::kClosed: return JsonResponse(410, {{"error", "closed"}, {"closes_at", r.at_ms / 1000.0}});
    case O::kUnavailable: return Unavailable(r.detail);
    case O::kInternal: break;
  }
  return Internal(r.detail);
}

Response Api::BuyTicket(const HttpRequest& req) {
  std::string user;
  if (cluster_->identity.anonymous_buy_ticket) {
    user = kAnonymousPrefix + RandomHex(8);  // the seed's benchmark signs in nobody: each request is a new user
  } else {
    Response error;
    if (!Authenticate(req, &user, &error)) return error;
  }
  ReserveResult r = reservations_->Reserve(cluster_->default_event, user);
  using O = ReserveResult::Outcome;
  switch (r.outcome) {
    case O::kReserved: {
      Response resp = JsonResponse(200, {{"code", 1}, {"msg", "ok"}, {"order_id", r.order_id}, {"user_id", user},
                                         {"node", reservations_->node()}});
      resp.outcome = Outcome::kReserved;
      return resp;
    }
    case O::kSoldOut:
    case O::kNoEvent: {
      Response resp = JsonResponse(200, {{"code", -1}, {"msg", "sold out"}});
      resp.outcome = Outcome::kSoldOut;
      return resp;
    }
    case O::kLimit: {
      Response resp = JsonResponse(200, {{"code", -1}, {"msg", "limit reached"}, {"order_id", r.order_id}});
      resp.outcome = Outcome::kLimit;
      return resp;
    }
    case O::kNotOpen:
    case O::kClosed: {
      Response resp = JsonResponse(200, {{"code", -1}, {"msg", r.outcome == O::kNotOpen ? "not open" : "closed"}});
      resp.outcome = r.outcome == O::kNotOpen ? Outcome::kNotOpen : Outcome::kGone;
      return resp;
    }
    case O::kUnavailable: return Unavailable(r.detail);
    case O::kInternal: break;
  }
  return Internal(r.detail);
}

Response Api::EventStatus(const std::string& event) {
  if (!IsValidId(event)) return ErrorResponse(400, "bad_request", std::string("event id must be ") + kIdRule);
  Orders::EventView v;
  std::string detail;
  switch (orders_->GetEvent(event, &v, &detail)) {
    case OrderOutcome::kOk: {
      int64_t remaining = v.total > v.sold ? v.total - v.sold : 0;
      auto instant = [](int64_t ms) { return ms > 0 ? nlohmann::json(ms / 1000.0) : nlohmann::json(nullptr); };
      return JsonResponse(200, {{"event", event}, {"total", v.total}, {"sold", v.sold},
                                {"remaining", remaining}, {"sold_out", remaining == 0},
                                {"opens_at", instant(v.opens_at_ms)}, {"closes_at", instant(v.closes_at_ms)}});
    }
    case OrderOutcome::kNotFound: return ErrorResponse(404, "no_such_event");
    case OrderOutcome::kUnavailable: return Unavailable(detail);
    default: return Internal(detail);
  }
}

Response Api::OrderAction(Endpoint e, const std::string& order_id, const HttpRequest& req) {
  std::string user;
  Response error;
  if (!Authenticate(req, &user, &error)) return error;
  std::string detail;
  OrderView view;
  OrderOutcome o = e == Endpoint::kPay      ? orders_->Pay(order_id, user, &detail)
                   : e == Endpoint::kCancel ? orders_->Cancel(order_id, user, &detail)
                                            : orders_->Get(order_id, user, &view, &detail);
  switch (o) {
    case OrderOutcome::kOk:
      if (e == Endpoint::kPay) return JsonResponse(200, {{"order_id", order_id}, {"status", "paid"}});
      if (e == Endpoint::kCancel) return JsonResponse(200, {{"order_id", order_id}, {"status", "cancelled"}});
      return JsonResponse(200, {{"order_id", view.order_id}, {"event", view.event}, {"user_id", view.user},
                                {"node", view.node}, {"status", view.status},
                                {"reserved_at", view.reserved_at_ms / 1000.0},
                                {"expires_at", view.expires_at_ms / 1000.0}});
    case OrderOutcome::kNotFound: return ErrorResponse(404, "no_such_order");
    case OrderOutcome::kGone: return ErrorResponse(410, "order_closed", "the order expired or was cancelled");
    case OrderOutcome::kConflict: {
      Response r = ErrorResponse(409, "already_paid");
      r.outcome = Outcome::kConflict;
      return r;
    }
    case OrderOutcome::kTooMany:
      return JsonResponse(429, {{"error", "cancel_limit_reached"}, {"limit", atoll(detail.c_str())},
                                {"message", "this user cancelled the event's limit of orders: pay this one, or let it expire"}});
    case OrderOutcome::kUnavailable: return Unavailable(detail);
    case OrderOutcome::kInternal: break;
  }
  return Internal(detail);
}

Response Api::MetricsText(const std::string& node) {
  const std::string& me = reservations_->node();
  if (!node.empty() && node != me) return ErrorResponse(404, "not_found", "this is node " + me);
  Response r;
  r.status = 200;
  r.content_type = "text/plain; version=0.0.4; charset=utf-8";
  const NodeConfig* mine = cluster_->Find(me);
  if (!node.empty()) {
    r.body = admin_.metrics->Render(me, admin_.counter, mine ? mine->processes : 0);
    return r;
  }
  // The host: this node through its own mapping and counter, every other
  // node of the cluster config that has a metrics file in this host's
  // directory through a scrape mapping and a read-only counter.
  std::vector<NodeScrape> nodes;
  std::vector<std::unique_ptr<Metrics>> others;
  for (const NodeConfig& n : cluster_->nodes) {
    NodeScrape s;
    s.node = n.name;
    s.processes = n.processes;
    if (n.name == me) {
      if (!admin_.metrics->Mapped()) continue;
      s.metrics = admin_.metrics;
      s.rows_ok = admin_.counter && admin_.counter->All(&s.rows).ok();
    } else {
      if (admin_.status.metrics_dir.empty()) continue;
      auto m = std::make_unique<Metrics>();
      if (!m->OpenToScrape(admin_.status.metrics_dir + "/" + n.name + ".shm").ok()) continue;  // not on this host
      s.metrics = m.get();
      others.push_back(std::move(m));
      NodeCounterReader counter;  // read-only: a scrape never creates nor writes a node's file
      s.rows_ok = counter.Open(admin_.status.sqlite_dir + "/" + n.name + ".sqlite", 50).ok() && counter.All(&s.rows).ok();
    }
    nodes.push_back(std::move(s));
  }
  r.body = RenderScrape(nodes, WallMillis());
  return r;
}

Response Api::Health() {
  Status st;
  Reply r = redis_->Command({"PING"}, &st);
  if (!st.ok() || r->type == REDIS_REPLY_ERROR) return ErrorResponse(503, "redis_unreachable", st.message());
  return JsonResponse(200, {{"status", "ok"}, {"node", reservations_->node()}});
}

}  // namespace seckill
