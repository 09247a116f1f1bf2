#include "admin/event_admin.h"

#include <unistd.h>

#include <cctype>
#include <cstdio>
#include <cstdlib>
#include <ctime>

#include "common/clock.h"
#include "common/ids.h"
#include "common/keys.h"
#include "common/node_counter.h"
#include "lua_protocol.h"

namespace seckill {

Status ValidateEventSpec(const EventSpec& s) {
  if (!IsValidId(s.id)) return Status::Invalid(std::string("event id must be ") + kIdRule);
  if (s.tickets <= 0 || s.tickets > 1000000000) return Status::Invalid("tickets must be between 1 and 1e9");
  if (s.limit <= 0 || s.limit > 1000) return Status::Invalid("limit must be between 1 and 1000");
  if (s.window_s <= 0 || s.window_s > 86400 * 7) return Status::Invalid("window must be between 1 s and 7 days");
  if (s.price_cents < 0) return Status::Invalid("price must not be negative");
  if (s.opens_at_ms < 0 || s.closes_at_ms < 0) return Status::Invalid("opening and closing times must not be negative");
  if (s.closes_at_ms > 0 && s.closes_at_ms <= s.opens_at_ms)
    return Status::Invalid("the closing time must come after the opening time");
  return Status::Ok();
}

Status ParseInstant(const std::string& text, int64_t* ms) {
  const Status bad = Status::Invalid("'" + text + "' is neither Unix seconds nor an ISO-8601 time (2026-11-28T22:00:00Z)");
  if (text.empty() || text.size() > 40) return bad;
  // Digits, with at most one '.', and nothing else: Unix seconds.
  if (text.find_first_not_of("0123456789.") == std::string::npos) {
    size_t dot = text.find('.');
    std::string whole = text.substr(0, dot), frac = dot == std::string::npos ? "" : text.substr(dot + 1);
    if (whole.empty() || whole.size() > 11) return bad;
    if (dot != std::string::npos && (frac.empty() || frac.find('.') != std::string::npos)) return bad;
    int64_t v = std::stoll(whole) * 1000;
    if (!frac.empty()) v += std::stoll((frac + "00").substr(0, 3));
    *ms = v;
    return Status::Ok();
  }
  int y, mo, d, h, mi, sec, n = 0;
  if (sscanf(text.c_str(), "%4d-%2d-%2d%*1[T ]%2d:%2d:%2d%n", &y, &mo, &d, &h, &mi, &sec, &n) != 6 || n != 19) return bad;
  if (mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || sec > 60 || y < 1970) return bad;
  size_t i = 19;
  int64_t frac_ms = 0;
  if (i < text.size() && text[i] == '.') {
    size_t start = ++i;
    while (i < text.size() && isdigit(static_cast<unsigned char>(text[i]))) i++;
    if (i == start) return bad;
    frac_ms = std::stoll((text.substr(start, i - start) + "00").substr(0, 3));
  }
  int64_t offset_s = 0;
  if (i < text.size()) {
    if (text[i] == 'Z' && i + 1 == text.size()) {
      i++;
    } else if ((text[i] == '+' || text[i] == '-') && text.size() == i + 6 && text[i + 3] == ':' &&
               isdigit(static_cast<unsigned char>(text[i + 1])) && isdigit(static_cast<unsigned char>(text[i + 2])) &&
               isdigit(static_cast<unsigned char>(text[i + 4])) && isdigit(static_cast<unsigned char>(text[i + 5]))) {
      int oh = std::stoi(text.substr(i + 1, 2)), om = std::stoi(text.substr(i + 4, 2));
      if (oh > 23 || om > 59) return bad;
      offset_s = (text[i] == '+' ? 1 : -1) * (oh * 3600 + om * 60);
    } else {
      return bad;
    }
  }
  struct tm tm = {};
  tm.tm_year = y - 1900;
  tm.tm_mon = mo - 1;
  tm.tm_mday = d;
  tm.tm_hour = h;
  tm.tm_min = mi;
  tm.tm_sec = sec;
  time_t t = timegm(&tm);
  if (tm.tm_mday != d) return bad;  // 31 February and the like: timegm moved it
  *ms = (static_cast<int64_t>(t) - offset_s) * 1000 + frac_ms;
  return Status::Ok();
}

Status CreateEvent(RedisClient* redis, const EventSpec& s, int64_t* created_at_ms) {
  Status st = ValidateEventSpec(s);
  if (!st.ok()) return st;
  EventKeys keys(s.id);
  lua::CreateEventReply reply;
  st = lua::CreateEvent(redis, keys,
                        {.total = s.tickets, .limit = s.limit, .window_s = s.window_s, .price_cents = s.price_cents,
                         .group_name = kReconcilerGroup, .run_id = ServerRunId::kOfConnection,
                         .opens_at_ms = s.opens_at_ms, .closes_at_ms = s.closes_at_ms},
                        &reply);
  if (!st.ok()) return st;
  // Listed for the reconciler in any case: a run that created the event but
  // failed before this SADD is repaired by running the command again.
  redis->Command({"SADD", kEventsSetKey, s.id}, &st);
  if (!st.ok()) return st;
  if (reply.code == lua::CreateEventReply::Code::kExists) return Status::Invalid("event '" + s.id + "' exists already");
  // For the fronts' opening watchers (an event created again at once must
  // not keep the opening time of its earlier self); an entry a day past its
  // opening is of no use to them any more.
  if (s.opens_at_ms > 0) {
    redis->Command({"ZADD", kOpeningSetKey, std::to_string(s.opens_at_ms), s.id}, &st);
  } else {
    redis->Command({"ZREM", kOpeningSetKey, s.id}, &st);
  }
  if (st.ok()) redis->Command({"ZREMRANGEBYSCORE", kOpeningSetKey, "-inf", std::to_string(WallMillis() - 86400000)}, &st);
  if (!st.ok()) return st;
  if (!created_at_ms) return Status::Ok();
  Reply r = redis->Command({"HGET", keys.meta, field::kCreatedAt}, &st);
  if (!st.ok()) return st;
  *created_at_ms = r->type == REDIS_REPLY_STRING ? atoll(r->str) : 0;
  return Status::Ok();
}

Status PreloadNodeCounters(const ClusterConfig& cluster, const std::string& sqlite_dir, const EventSpec& s,
                           int64_t generation) {
  for (const auto& node : cluster.nodes) {
    std::string path = sqlite_dir + "/" + node.name + ".sqlite";
    if (access(path.c_str(), F_OK) != 0) continue;
    NodeCounter counter;
    Status st = counter.Open(path, 2000);
    if (st.ok()) st = counter.Ensure(s.id, cluster.Allotment(node.name, s.tickets), generation);
    if (!st.ok()) return st;
  }
  return Status::Ok();
}

}  // namespace seckill
