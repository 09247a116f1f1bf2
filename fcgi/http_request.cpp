#include "fcgi/http_request.h"

#include <strings.h>

namespace seckill {
namespace {

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// Decodes one form component into *out. Returns false on bad encoding or NUL.
bool Decode(std::string_view in, std::string* out) {
  out->clear();
  out->reserve(in.size());
  for (size_t i = 0; i < in.size(); i++) {
    char c = in[i];
    if (c == '+') {
      out->push_back(' ');
    } else if (c == '%') {
      if (i + 2 >= in.size()) return false;
      int hi = HexValue(in[i + 1]), lo = HexValue(in[i + 2]);
      if (hi < 0 || lo < 0) return false;
      char d = static_cast<char>(hi * 16 + lo);
      if (d == '\0') return false;
      out->push_back(d);
      i += 2;
    } else if (c == '\0') {
      return false;
    } else {
      out->push_back(c);
    }
  }
  return true;
}

}  // namespace

const std::string* HttpRequest::Param(std::string_view name) const {
  for (const auto& p : params)
    if (p.first == name) return &p.second;
  return nullptr;
}

Status ParseForm(std::string_view text, std::vector<std::pair<std::string, std::string>>* out) {
  size_t pos = 0;
  while (pos <= text.size()) {
    size_t amp = text.find('&', pos);
    if (amp == std::string_view::npos) amp = text.size();
    std::string_view pair = text.substr(pos, amp - pos);
    pos = amp + 1;
    if (pair.empty()) {
      if (amp == text.size()) break;
      continue;
    }
    size_t eq = pair.find('=');
    std::string key, value;
    if (!Decode(pair.substr(0, eq), &key) ||
        (eq != std::string_view::npos && !Decode(pair.substr(eq + 1), &value)))
      return Status::Invalid("bad percent-encoding");
    if (key.empty()) return Status::Invalid("empty parameter name");
    for (const auto& p : *out)
      if (p.first == key) return Status::Invalid("parameter '" + key.substr(0, 64) + "' given twice");
    if (out->size() >= kMaxParams) return Status::Invalid("too many parameters");
    out->emplace_back(std::move(key), std::move(value));
  }
  return Status::Ok();
}

Status SplitTarget(std::string_view request_uri, std::string* path, std::string* query) {
  if (request_uri.size() > kMaxTarget) return Status::Invalid("request target too long");
  size_t q = request_uri.find('?');
  path->assign(request_uri.substr(0, q));
  if (q == std::string_view::npos) query->clear();
  else query->assign(request_uri.substr(q + 1));
  return Status::Ok();
}

bool IsFormContentType(std::string_view ct) {
  static constexpr std::string_view kForm = "application/x-www-form-urlencoded";
  if (ct.size() < kForm.size() || strncasecmp(ct.data(), kForm.data(), kForm.size()) != 0) return false;
  return ct.size() == kForm.size() || ct[kForm.size()] == ';' || ct[kForm.size()] == ' ';
}

}  // namespace seckill

namespace seckill {

Status ParseRequest(std::string_view method, std::string_view request_uri, std::string_view content_type,
                    std::string_view body, HttpRequest* req) {
  req->method.assign(method);
  req->params.clear();
  std::string query;
  Status st = SplitTarget(request_uri, &req->path, &query);
  if (!st.ok()) return st;
  st = ParseForm(query, &req->params);
  if (!st.ok()) return st;
  if (body.empty()) return Status::Ok();
  if (!IsFormContentType(content_type)) return Status::Invalid("unsupported media type");
  return ParseForm(body, &req->params);
}

}  // namespace seckill
