// api.h — the public HTTP contract (docs/api.md): validates the parsed
// request, calls the reservation path or the order actions, and turns every
// outcome into a status and a JSON body. Never throws; never touches sockets
// (the FastCGI loop in main.cpp does the I/O). Not thread-safe.
#pragma once
#include <string>

#include "common/cluster_config.h"
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
  Api(const ClusterConfig* cluster, Reservations* reservations, Orders* orders, RedisClient* redis,
      AdminSources admin)
      : cluster_(cluster), reservations_(reservations), orders_(orders), redis_(redis), admin_(std::move(admin)) {}

  // Answers `req`, whose route is `route`.
  Response Handle(const Route& route, const HttpRequest& req);

 private:
  Response Reserve(const std::string& event, const HttpRequest& req);
  Response BuyTicket(const HttpRequest& req);
  Response EventStatus(const std::string& event);
  Response OrderAction(Endpoint e, const std::string& order_id, const HttpRequest& req);
  Response Health();
  Response MetricsText(const std::string& node);

  const ClusterConfig* cluster_;
  Reservations* reservations_;
  Orders* orders_;
  RedisClient* redis_;
  AdminSources admin_;
};

// Reads the user_id parameter. Returns false (and sets *error) when it is
// missing or not a valid id.
bool ReadUserId(const HttpRequest& req, std::string* user, Response* error);

}  // namespace seckill
