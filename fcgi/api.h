// api.h — the public HTTP contract (docs/api.md): validates the parsed
// request, calls the reservation path or the order actions, and turns every
// outcome into a status and a JSON body. Never throws; never touches sockets
// (the FastCGI loop in main.cpp does the I/O). Not thread-safe.
//
// Identity: every buyer endpoint (reserve, pay, cancel, view an order) takes
// the buyer from the bearer token only (common/identity.h); a user_id
// parameter is ignored. No valid token: 401 {"error":"unauthorized"} with
// WWW-Authenticate: Bearer. /buy/ticket, when the cluster config's
// anonymous_buy_ticket is on, sells to a made-up user per request ("anon-…",
// which no token can name, so its orders cannot be seen, paid or cancelled);
// off, it takes the buyer from the token like the others.
#pragma once
#include <string>

#include "common/cluster_config.h"
#include "common/identity.h"
#include "fcgi/metrics.h"
#include "fcgi/operator_status.h"
#include "fcgi/http_request.h"
#include "fcgi/orders.h"
#include "fcgi/reservation.h"
#include "fcgi/response.h"
#include "fcgi/router.h"

namespace seckill {

// What the admin endpoints (/metrics, /metrics/{node}, /status/{event}) read; they
// answer only requests that came through the admin listener.
struct AdminSources {
  Metrics* metrics;
  NodeCounter* counter;
  StatusSources status;
};

class Api {
 public:
  // `verifier` checks the buyers' tokens; null (or one without keys) refuses every token.
  Api(const ClusterConfig* cluster, Reservations* reservations, Orders* orders, RedisClient* redis,
      AdminSources admin, const TokenVerifier* verifier = nullptr)
      : cluster_(cluster), reservations_(reservations), orders_(orders), redis_(redis), admin_(std::move(admin)),
        verifier_(verifier) {}

  // Answers `req`, whose route is `route`.
  Response Handle(const Route& route, const HttpRequest& req);

 private:
  Response Reserve(const std::string& event, const HttpRequest& req);
  Response BuyTicket(const HttpRequest& req);
  Response EventStatus(const std::string& event);
  Response OrderAction(Endpoint e, const std::string& order_id, const HttpRequest& req);
  Response Health();
  // Sets *user to the verified token's subject and returns true; else sets
  // *error to the 401 and returns false.
  bool Authenticate(const HttpRequest& req, std::string* user, Response* error) const;
  Response MetricsText(const std::string& node);

  const ClusterConfig* cluster_;
  Reservations* reservations_;
  Orders* orders_;
  RedisClient* redis_;
  AdminSources admin_;
  const TokenVerifier* verifier_;
};

// The 401 for `why`: {"error":"unauthorized","message":why} with
// WWW-Authenticate: Bearer (RFC 6750: error="invalid_token" unless the
// request had no token at all).
Response UnauthorizedResponse(AuthError why);

}  // namespace seckill
