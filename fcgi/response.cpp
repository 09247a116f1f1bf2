#include "fcgi/response.h"

namespace seckill {

const char* StatusText(int status) {
  switch (status) {
    case 200: return "OK";
    case 201: return "Created";
    case 400: return "Bad Request";
    case 401: return "Unauthorized";
    case 404: return "Not Found";
    case 405: return "Method Not Allowed";
    case 409: return "Conflict";
    case 410: return "Gone";
    case 411: return "Length Required";
    case 413: return "Payload Too Large";
    case 415: return "Unsupported Media Type";
    case 425: return "Too Early";
    case 429: return "Too Many Requests";
    case 500: return "Internal Server Error";
    case 503: return "Service Unavailable";
  }
  return "Unknown";
}

Outcome OutcomeOfStatus(int status) {
  switch (status) {
    case 200: return Outcome::kOk;
    case 201: return Outcome::kReserved;
    case 401: return Outcome::kUnauthorized;
    case 404: return Outcome::kNotFound;
    case 409: return Outcome::kSoldOut;
    case 410: return Outcome::kGone;
    case 425: return Outcome::kNotOpen;
    case 429: return Outcome::kLimit;
    case 503: return Outcome::kUnavailable;
  }
  return status >= 500 ? Outcome::kInternal : Outcome::kBadRequest;
}

std::string Response::Serialize(const std::string& node) const {
  std::string out;
  out.reserve(160 + body.size());
  out += "Status: ";
  out += std::to_string(status);
  out += ' ';
  out += StatusText(status);
  out += "\r\nContent-Type: ";
  out += content_type;
  out += "\r\nCache-Control: no-store\r\nX-Node: ";
  out += node;
  if (!www_authenticate.empty()) {
    out += "\r\nWWW-Authenticate: ";
    out += www_authenticate;
  }
  if (!allow.empty()) {
    out += "\r\nAllow: ";
    out += allow;
  }
  out += "\r\nContent-Length: ";
  out += std::to_string(body.size());
  out += "\r\n\r\n";
  out += body;
  return out;
}

Response JsonResponse(int status, const nlohmann::json& json) {
  Response r;
  r.status = status;
  r.outcome = OutcomeOfStatus(status);
  r.body = json.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  r.body.push_back('\n');
  return r;
}

Response ErrorResponse(int status, const char* code, const std::string& message) {
  nlohmann::json j = {{"error", code}};
  if (!message.empty()) j["message"] = message;
  return JsonResponse(status, j);
}

}  // namespace seckill
