// http_request.h — what a worker reads from a FastCGI request, parsed and
// checked. Pure functions: no sockets, no globals; the fuzz and unit tests
// call them directly.
//
// Limits: the path and the query string at most kMaxTarget bytes, the body at
// most the configured max_body_bytes, at most kMaxParams parameters. Percent
// encoding is strict (a '%' must be followed by two hex digits) and a decoded
// NUL byte is rejected. A parameter given twice is rejected, so that a query
// string and a body cannot disagree about who the user is.
#pragma once
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/status.h"

namespace seckill {

constexpr size_t kMaxTarget = 2048;
constexpr size_t kMaxParams = 16;

struct HttpRequest {
  std::string method;  // REQUEST_METHOD, e.g. "POST"
  std::string path;    // the path of REQUEST_URI, not decoded (ids need no decoding)
  std::vector<std::pair<std::string, std::string>> params;  // query + form body
  bool admin = false;  // came through the local-only admin listener (nginx sets SECKILL_ADMIN)
  std::string authorization;  // the Authorization header (HTTP_AUTHORIZATION), as sent; "" when none

  // Returns the value of parameter `name`, or nullptr.
  const std::string* Param(std::string_view name) const;
};

// Decodes application/x-www-form-urlencoded text ("a=1&b=x%20y") into *out,
// appending. Returns Invalid on bad percent-encoding, NUL, too many or
// repeated parameters.
Status ParseForm(std::string_view text, std::vector<std::pair<std::string, std::string>>* out);

// Splits REQUEST_URI into path and query. Returns Invalid when too long.
Status SplitTarget(std::string_view request_uri, std::string* path, std::string* query);

// Returns true when CONTENT_TYPE names a form body (parameters ignored).
bool IsFormContentType(std::string_view content_type);

}  // namespace seckill

namespace seckill {

// Builds *req from the raw FastCGI params and the body. Returns Invalid (a
// 400) on a bad target or form, and Invalid with message "unsupported media
// type" when a non-empty body is not a form (a 415).
Status ParseRequest(std::string_view method, std::string_view request_uri, std::string_view content_type,
                    std::string_view body, HttpRequest* req);

}  // namespace seckill
