#include "common/script_call.h"

#include <cstdlib>

namespace seckill {
namespace {

Status Shape(const char* script, const std::string& why) { return Status::Internal(std::string(script) + ".lua: " + why); }

const redisReply* Field(const redisReply* r, size_t i) {
  return r->type == REDIS_REPLY_ARRAY && i + 1 < r->elements ? r->element[i + 1] : nullptr;
}

}  // namespace

Status ReplyCode(const redisReply* r, const char* script, int64_t* code) {
  if (!r) return Shape(script, "no reply");
  if (r->type == REDIS_REPLY_ERROR) return Shape(script, std::string(r->str, r->len));
  if (r->type != REDIS_REPLY_ARRAY || r->elements < 1 || r->element[0]->type != REDIS_REPLY_INTEGER)
    return Shape(script, "reply is not {code, ...}");
  *code = r->element[0]->integer;
  return Status::Ok();
}

Status ReplyInt(const redisReply* r, size_t i, const char* script, int64_t* out) {
  const redisReply* f = Field(r, i);
  if (f && f->type == REDIS_REPLY_INTEGER) {
    *out = f->integer;
    return Status::Ok();
  }
  if (f && f->type == REDIS_REPLY_STRING && f->len > 0) {
    char* end = nullptr;
    long long v = strtoll(f->str, &end, 10);
    if (end == f->str + f->len) {
      *out = v;
      return Status::Ok();
    }
  }
  return Shape(script, "reply field " + std::to_string(i + 1) + " is not an integer");
}

Status ReplyStr(const redisReply* r, size_t i, const char* script, std::string* out) {
  const redisReply* f = Field(r, i);
  if (f && f->type == REDIS_REPLY_STRING) {
    out->assign(f->str, f->len);
    return Status::Ok();
  }
  if (f && f->type == REDIS_REPLY_INTEGER) {
    *out = std::to_string(f->integer);
    return Status::Ok();
  }
  return Shape(script, "reply field " + std::to_string(i + 1) + " is not a string");
}

}  // namespace seckill
