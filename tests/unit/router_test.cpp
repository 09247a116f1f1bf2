// router_test — every endpoint of docs/api.md and the admin ones, wrong methods, unknown paths.
#include <doctest/doctest.h>

#include "fcgi/router.h"

using namespace seckill;

TEST_CASE("the public endpoints are matched with their ids") {
  Route r = MatchRoute("POST", "/api/events/e1/reservations");
  CHECK(r.endpoint == Endpoint::kReserve);
  CHECK(r.id == "e1");
  CHECK(MatchRoute("GET", "/api/events/e1").endpoint == Endpoint::kEventStatus);
  CHECK(MatchRoute("POST", "/api/orders/o1/payment").endpoint == Endpoint::kPay);
  CHECK(MatchRoute("POST", "/api/orders/o1/cancellation").endpoint == Endpoint::kCancel);
  r = MatchRoute("GET", "/api/orders/o1");
  CHECK(r.endpoint == Endpoint::kOrderStatus);
  CHECK(r.id == "o1");
  CHECK(MatchRoute("GET", "/buy/ticket").endpoint == Endpoint::kBuyTicket);
  CHECK(MatchRoute("POST", "/buy/ticket").endpoint == Endpoint::kBuyTicket);
  CHECK(MatchRoute("GET", "/healthz").endpoint == Endpoint::kHealth);
}

TEST_CASE("wrong methods get 405 with Allow") {
  Route r = MatchRoute("GET", "/api/events/e1/reservations");
  CHECK(r.endpoint == Endpoint::kMethodNotAllowed);
  CHECK(std::string(r.allow) == "POST");
  CHECK(MatchRoute("DELETE", "/api/orders/o1").endpoint == Endpoint::kMethodNotAllowed);
  CHECK(MatchRoute("PUT", "/buy/ticket").endpoint == Endpoint::kMethodNotAllowed);
}

TEST_CASE("unknown paths and extra segments are not found") {
  CHECK(MatchRoute("GET", "/").endpoint == Endpoint::kNotFound);
  CHECK(MatchRoute("GET", "/api/events/").endpoint == Endpoint::kNotFound);
  CHECK(MatchRoute("GET", "/api/events/a/b").endpoint == Endpoint::kNotFound);
  CHECK(MatchRoute("POST", "/api/events//reservations").endpoint == Endpoint::kNotFound);
  CHECK(MatchRoute("GET", "/api/events/../etc/passwd").endpoint == Endpoint::kNotFound);
}

TEST_CASE("the admin metrics: the whole host, or one node") {
  Route r = MatchRoute("GET", "/metrics");
  CHECK(r.endpoint == Endpoint::kMetrics);
  CHECK(r.id.empty());
  r = MatchRoute("GET", "/metrics/n1");
  CHECK(r.endpoint == Endpoint::kMetrics);
  CHECK(r.id == "n1");
  CHECK(MatchRoute("POST", "/metrics").endpoint == Endpoint::kMethodNotAllowed);
  CHECK(MatchRoute("GET", "/metrics/").endpoint == Endpoint::kNotFound);
}
