// response_test — the FastCGI header block and JSON validity of answers.
#include <doctest/doctest.h>

#include "fcgi/response.h"

using namespace seckill;

TEST_CASE("a response carries status, content type, node and length") {
  Response r = ErrorResponse(409, "sold_out");
  std::string s = r.Serialize("n3");
  CHECK(s.rfind("Status: 409 Conflict\r\n", 0) == 0);
  CHECK(s.find("Content-Type: application/json\r\n") != std::string::npos);
  CHECK(s.find("X-Node: n3\r\n") != std::string::npos);
  CHECK(s.find("Content-Length: " + std::to_string(r.body.size()) + "\r\n\r\n") != std::string::npos);
}

TEST_CASE("invalid UTF-8 in a value still makes valid JSON") {
  Response r = JsonResponse(400, {{"x", std::string("\xff\xfe\"\\\n", 5)}});
  CHECK(nlohmann::json::accept(r.body));
}
