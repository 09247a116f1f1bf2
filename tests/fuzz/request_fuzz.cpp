// request_fuzz — a libFuzzer target for what a worker does with a hostile
// request before it touches Redis or SQLite: ParseRequest (SplitTarget,
// ParseForm, IsFormContentType), MatchRoute, IsValidId and ParseOrderId on
// every id and parameter value, and the JSON answers built from those
// strings (JsonResponse, ErrorResponse, Response::Serialize).
//
// The token path too: the Authorization header through TokenVerifier
// (common/identity.h, libjwt) with the test key pair of tests/fuzz/keys/
// (never a real key: the seeds' tokens were signed with its private half, so
// mutations start from tokens that verify; that half is not kept in the tree:
// new signed seeds need a new pair, seckill-admin keygen, and fuzz.pub
// replaced), and the 401 the worker builds from its answer.
//
// Input format: five fields separated by NUL bytes,
//
//     METHOD \0 REQUEST_URI \0 CONTENT_TYPE \0 AUTHORIZATION \0 BODY
//
// The first four are FastCGI params, which are C strings in the worker
// (FCGX_GetParam), so they can never hold a NUL; the body is the rest of the
// input and may hold anything, NULs included. Missing fields are empty: an
// input without a NUL is a method alone. Seeds are in tests/fuzz/corpus/.
//
// It aborts (__builtin_trap, after a line on stderr naming the broken
// invariant) when:
//   - an answer body is not valid JSON (nlohmann::json::accept), or
//     Serialize's header block is malformed or its Content-Length is not the
//     body's length;
//   - a parsed request breaks the parser's contract: a NUL byte in a
//     parameter name or value, an empty or repeated name, more than
//     kMaxParams parameters, a '?' in the path, an accepted target longer
//     than kMaxTarget, an accepted non-empty body that is not a form;
//   - a route id contains '/', or an endpoint has (or lacks) an id;
//   - ParseOrderId accepts an id whose event fails IsValidId, or that is not
//     "<event>-<32 hex>"; an order id made by NewOrderId does not parse back;
//   - a token verifies with a subject that is no user id or an anonymous
//     one, an exp in the past beyond the leeway, or a header longer than
//     allowed; the verifier answers differently for the header and for its
//     token alone.
//
// Api (fcgi/api.cpp) is not linked: api.o needs the whole worker
// (Reservations, Orders, RedisClient, SQLite). The target does what its
// Authenticate does: VerifyHeader, then UnauthorizedResponse's answer.
//
// Build and run: make fuzz [FUZZ_SECONDS=600] (the corpus grows in
// var/fuzz/corpus), make fuzz-smoke (tests/integration/fuzz_test.sh). A
// crash input is saved as var/fuzz/crash-*; replay it with
//   build-fuzz/request_fuzz var/fuzz/crash-<sha1>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <set>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "common/identity.h"
#include "common/ids.h"
#include "fcgi/http_request.h"
#include "fcgi/response.h"
#include "fcgi/router.h"

using namespace seckill;

#define FUZZ_ASSERT(cond)                                                                  \
  do {                                                                                     \
    if (!(cond)) {                                                                         \
      fprintf(stderr, "request_fuzz: invariant failed: %s (%s:%d)\n", #cond, __FILE__, __LINE__); \
      __builtin_trap();                                                                    \
    }                                                                                      \
  } while (0)

namespace {

// Returns the text before the next NUL of *rest and moves *rest past it.
std::string_view NextField(std::string_view* rest) {
  size_t nul = rest->find('\0');
  std::string_view field = rest->substr(0, nul);
  *rest = nul == std::string_view::npos ? std::string_view() : rest->substr(nul + 1);
  return field;
}

// The body is valid JSON; Serialize gives "Name: value" header lines, one
// Content-Length equal to the body's size, a blank line, then the body.
void CheckResponse(const Response& r) {
  FUZZ_ASSERT(nlohmann::json::accept(r.body));
  FUZZ_ASSERT(std::string_view(OutcomeName(r.outcome)) != "unknown");
  std::string out = r.Serialize("n1");
  size_t end = out.find("\r\n\r\n");
  FUZZ_ASSERT(end != std::string::npos);
  FUZZ_ASSERT(out.compare(end + 4, std::string::npos, r.body) == 0);
  std::string_view head(out.data(), end);
  int lengths = 0;
  size_t pos = 0;
  while (pos <= head.size()) {
    size_t eol = head.find("\r\n", pos);
    if (eol == std::string_view::npos) eol = head.size();
    std::string_view line = head.substr(pos, eol - pos);
    pos = eol + 2;
    FUZZ_ASSERT(line.find_first_of(std::string_view("\r\n\0", 3)) == std::string_view::npos);
    size_t colon = line.find(": ");
    FUZZ_ASSERT(colon != std::string_view::npos && colon > 0);
    if (line.substr(0, colon) == "Content-Length") {
      lengths++;
      FUZZ_ASSERT(line.substr(colon + 2) == std::to_string(r.body.size()));
    }
  }
  FUZZ_ASSERT(lengths == 1);
}

// ParseOrderId accepts only "<event>-<32 lowercase hex>" with a valid event.
void CheckOrderId(std::string_view s) {
  std::string event;
  if (!ParseOrderId(s, &event)) return;
  FUZZ_ASSERT(IsValidId(event));
  FUZZ_ASSERT(s.size() == event.size() + 1 + kOrderRandomHex);
  FUZZ_ASSERT(s.substr(0, event.size()) == event && s[event.size()] == '-');
  for (char c : s.substr(event.size() + 1)) FUZZ_ASSERT((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'));
}

// The parser's contract on an accepted request.
void CheckRequest(std::string_view uri, std::string_view content_type, std::string_view body,
                  const HttpRequest& req) {
  FUZZ_ASSERT(uri.size() <= kMaxTarget);
  FUZZ_ASSERT(req.path.size() <= uri.size() && req.path.find('?') == std::string::npos);
  FUZZ_ASSERT(uri.substr(0, req.path.size()) == req.path);
  FUZZ_ASSERT(body.empty() || IsFormContentType(content_type));
  FUZZ_ASSERT(req.params.size() <= kMaxParams);
  std::set<std::string> names;
  for (const auto& p : req.params) {
    FUZZ_ASSERT(!p.first.empty());
    FUZZ_ASSERT(p.first.find('\0') == std::string::npos);
    FUZZ_ASSERT(p.second.find('\0') == std::string::npos);
    FUZZ_ASSERT(names.insert(p.first).second);
    FUZZ_ASSERT(req.Param(p.first) == &p.second);
  }
}

// MatchRoute's contract: ids never hold '/', only id endpoints have one.
void CheckRoute(std::string_view path, const Route& route) {
  FUZZ_ASSERT(route.allow != nullptr);
  FUZZ_ASSERT(route.id.find('/') == std::string::npos);
  FUZZ_ASSERT(std::string_view(EndpointName(route.endpoint)) != "unknown");
  switch (route.endpoint) {
    case Endpoint::kReserve:
    case Endpoint::kEventStatus:
    case Endpoint::kPay:
    case Endpoint::kCancel:
    case Endpoint::kOrderStatus:
    case Endpoint::kStatus:
      FUZZ_ASSERT(!route.id.empty() && path.find(route.id) != std::string_view::npos);
      break;
    case Endpoint::kMetrics:  // /metrics (the whole host, no id) or /metrics/{node}
      FUZZ_ASSERT(route.id.empty() ? path == "/metrics" : path.find(route.id) != std::string_view::npos);
      break;
    case Endpoint::kMethodNotAllowed:
      FUZZ_ASSERT(route.allow[0] != '\0');
      break;
    case Endpoint::kNotFound:
    case Endpoint::kBuyTicket:
    case Endpoint::kHealth:
      FUZZ_ASSERT(route.id.empty());
      break;
  }
}

// The verifier of the fuzz key (tests/fuzz/keys/fuzz.pub, found next to this
// file's source), set up once; its clock is fixed so that runs repeat.
constexpr int64_t kFuzzNow = 1790000000;
const TokenVerifier& Verifier() {
  static const TokenVerifier* v = [] {
    std::string dir = __FILE__;
    dir = dir.substr(0, dir.rfind('/'));
    auto* verifier = new TokenVerifier();
    Status st = verifier->Load({{"fuzz", TokenAlg::kES256, dir + "/keys/fuzz.pub"}}, 30);
    if (!st.ok()) {
      fprintf(stderr, "request_fuzz: %s (run from the source tree)\n", st.message().c_str());
      abort();
    }
    return verifier;
  }();
  return *v;
}

// The token path: what the worker does with an Authorization header.
void CheckToken(std::string_view authorization) {
  Identity id;
  AuthError e = Verifier().VerifyHeader(authorization, kFuzzNow, &id);
  FUZZ_ASSERT(std::string_view(AuthErrorName(e)) != "unknown");
  if (e == AuthError::kOk) {
    FUZZ_ASSERT(IsValidId(id.user) && id.user.rfind(kAnonymousPrefix, 0) != 0);
    FUZZ_ASSERT(kFuzzNow <= id.expires_at + 30);
    FUZZ_ASSERT(authorization.size() <= kMaxTokenBytes + 64);
    nlohmann::json j = {{"user_id", id.user}};
    FUZZ_ASSERT(nlohmann::json::parse(j.dump())["user_id"] == id.user);
  } else {
    Response r;
    r = ErrorResponse(401, "unauthorized", AuthErrorName(e));
    r.www_authenticate = "Bearer realm=\"seckill\"";
    CheckResponse(r);
  }
  // The header's token alone verifies the same way.
  if (authorization.size() > 7 && (authorization.substr(0, 7) == "Bearer " || authorization.substr(0, 7) == "bearer ")) {
    std::string_view token = authorization.substr(7);
    if (!token.empty() && token.front() != ' ' && token.back() != ' ') {
      Identity again;
      FUZZ_ASSERT(Verifier().Verify(token, kFuzzNow, &again) == e);
      if (e == AuthError::kOk) FUZZ_ASSERT(again.user == id.user);
    }
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view rest(reinterpret_cast<const char*>(data), size);
  std::string_view method = NextField(&rest);
  std::string_view uri = NextField(&rest);
  std::string_view content_type = NextField(&rest);
  std::string_view authorization = NextField(&rest);
  std::string_view body = rest;
  CheckToken(authorization);

  // ParseForm alone, whatever the content type: the same contract.
  std::vector<std::pair<std::string, std::string>> form;
  Status fst = ParseForm(body, &form);
  for (const auto& p : form) FUZZ_ASSERT(p.second.find('\0') == std::string::npos);
  if (!fst.ok()) CheckResponse(ErrorResponse(400, "bad_request", fst.message()));

  HttpRequest req;
  Status st = ParseRequest(method, uri, content_type, body, &req);
  if (!st.ok()) {
    // The worker's answers to a request it cannot parse (fcgi/main.cpp).
    if (st.message() == "unsupported media type") {
      FUZZ_ASSERT(!body.empty() && !IsFormContentType(content_type));
      CheckResponse(ErrorResponse(415, "unsupported_media_type", "send application/x-www-form-urlencoded"));
    }
    CheckResponse(ErrorResponse(400, "bad_request", st.message()));
    return 0;
  }
  CheckRequest(uri, content_type, body, req);

  Route route = MatchRoute(req.method, req.path);
  CheckRoute(req.path, route);
  bool id_ok = IsValidId(route.id);
  CheckOrderId(route.id);
  if (id_ok) {
    std::string event;
    std::string order = NewOrderId(route.id);
    FUZZ_ASSERT(ParseOrderId(order, &event) && event == route.id);
  }
  nlohmann::json params = nlohmann::json::object();
  for (const auto& p : req.params) {
    if (IsValidId(p.second)) FUZZ_ASSERT(p.second.size() <= kMaxIdLength);
    if (p.second.find('.') != std::string::npos) CheckToken("Bearer " + p.second);  // a token sent as a field
    CheckOrderId(p.second);
    params[p.first] = p.second;
  }

  // The old user_id check (a field is no identity now, but its value is
  // still echoed in answers), then the answers the worker builds from these strings.
  const std::string* user = req.Param("user_id");
  bool user_ok = user && IsValidId(*user);
  std::string user_id = user ? *user : "";
  if (route.endpoint == Endpoint::kMethodNotAllowed) {
    Response r = ErrorResponse(405, "method_not_allowed");
    r.allow = route.allow;
    CheckResponse(r);
  }
  Response answer = JsonResponse(201, {{"order_id", route.id}, {"event", route.id}, {"user_id", user_id},
                                       {"node", "n1"}, {"expires_at", 1700000000.5}, {"params", params},
                                       {"method", req.method}, {"path", req.path},
                                       {"endpoint", EndpointName(route.endpoint)}});
  CheckResponse(answer);
  if (id_ok && user_ok) {
    // Ids that pass IsValidId come back from the JSON byte for byte.
    nlohmann::json j = nlohmann::json::parse(answer.body);
    FUZZ_ASSERT(j["event"] == route.id && j["user_id"] == *user);
    for (const auto& p : req.params)
      if (IsValidId(p.first) && IsValidId(p.second)) FUZZ_ASSERT(j["params"][p.first] == p.second);
  }
  CheckResponse(JsonResponse(200, {{"code", -1}, {"msg", "bad user_id"}, {"user_id", user_id}}));
  CheckResponse(ErrorResponse(400, "bad_request", "no such order " + route.id + " for " + user_id));
  return 0;
}
