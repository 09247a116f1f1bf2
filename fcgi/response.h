// response.h — a worker's answer: an HTTP status and a body (JSON, except
// the Prometheus text of /metrics), and the outcome the metrics count. Pure.
// Serialize() makes the CGI-style header block libfcgi sends to nginx. Every
// answer carries its Content-Type, Cache-Control: no-store and the X-Node
// header naming the node that answered.
#pragma once
#include <cstdint>
#include <string>

#include <nlohmann/json.hpp>

namespace seckill {

// What a request came to, as the metrics count it.
enum class Outcome : uint8_t {
  kReserved, kSoldOut, kLimit, kOk, kBadRequest, kNotFound, kGone, kConflict, kUnavailable, kInternal,
  kNotOpen,  // 425: before the event's opening time (from a worker: a front whose not-open flag was missing)
  kUnauthorized,  // 401: no valid identity token (common/identity.h)
  kCount
};
// The outcome's name, for the metrics ("sold_out", …); "unknown" for kCount
// and any value that is no outcome. constexpr, so that the metrics can check
// their count of outcomes against it at compile time.
constexpr const char* OutcomeName(Outcome o) {
  switch (o) {
    case Outcome::kReserved: return "reserved";
    case Outcome::kSoldOut: return "sold_out";
    case Outcome::kLimit: return "limit";
    case Outcome::kOk: return "ok";
    case Outcome::kBadRequest: return "bad_request";
    case Outcome::kNotFound: return "not_found";
    case Outcome::kGone: return "gone";
    case Outcome::kConflict: return "conflict";
    case Outcome::kUnavailable: return "unavailable";
    case Outcome::kInternal: return "internal";
    case Outcome::kNotOpen: return "not_open";
    case Outcome::kUnauthorized: return "unauthorized";
    case Outcome::kCount: break;
  }
  return "unknown";
}
// The usual outcome of an HTTP status (409 is "sold out": the reservation's).
Outcome OutcomeOfStatus(int status);

struct Response {
  int status = 200;
  Outcome outcome = Outcome::kOk;  // set from status by JsonResponse; api.cpp refines it
  std::string body;   // JSON text
  std::string allow;  // the Allow header, for 405
  std::string www_authenticate;  // the WWW-Authenticate header, for 401
  const char* content_type = "application/json";

  // Returns the complete FastCGI stdout: headers, blank line, body.
  std::string Serialize(const std::string& node) const;
};

// Returns a response with `status` and `json` dumped as valid UTF-8 JSON
// (invalid bytes in strings are replaced, so any input makes valid JSON).
Response JsonResponse(int status, const nlohmann::json& json);

// Returns {"error": code, "message": message} with `status`.
Response ErrorResponse(int status, const char* code, const std::string& message = "");

const char* StatusText(int status);

}  // namespace seckill
