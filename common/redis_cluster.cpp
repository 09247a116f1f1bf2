#include "common/redis_cluster.h"

#include <algorithm>
#include <cstdlib>
#include <cstring>

#include "common/clock.h"

namespace seckill {
namespace {

enum class Redirect { kNone, kMoved, kAsk };

// "MOVED 3999 127.0.0.1:6381" / "ASK 3999 127.0.0.1:6381": the kind and the node.
Redirect ParseRedirect(const redisReply* r, std::string* node) {
  if (!r || r->type != REDIS_REPLY_ERROR) return Redirect::kNone;
  Redirect kind;
  if (r->len > 6 && memcmp(r->str, "MOVED ", 6) == 0) kind = Redirect::kMoved;
  else if (r->len > 4 && memcmp(r->str, "ASK ", 4) == 0) kind = Redirect::kAsk;
  else return Redirect::kNone;
  std::string text(r->str, r->len);
  size_t space = text.rfind(' ');
  *node = text.substr(space + 1);
  return node->empty() ? Redirect::kNone : kind;
}

bool IsRedirect(const Reply& r) {
  std::string ignored;
  return ParseRedirect(r.get(), &ignored) != Redirect::kNone;
}

// A map is read again at most this often while calls keep failing.
constexpr int64_t kRefreshEveryMs = 50;

}  // namespace

RedisCluster::RedisCluster(std::vector<RedisAddress> seeds, int timeout_ms, ScriptLoading loading)
    : seeds_(std::move(seeds)), loading_(loading), timeout_ms_(timeout_ms) {
  if (!seeds_.empty()) template_ = seeds_[0];
  slot_owner_.fill(-1);
}

RedisCluster::~RedisCluster() = default;

uint64_t RedisCluster::round_trips() const {
  uint64_t n = retired_round_trips_;
  for (const auto& [name, node] : nodes_) n += node->round_trips();
  return n;
}

RedisClient* RedisCluster::Node(const std::string& name) {
  auto it = nodes_.find(name);
  if (it != nodes_.end()) return it->second.get();
  RedisAddress a;
  a.password = template_.password;
  if (!RedisAddress::Parse(name, &a).ok()) return nullptr;
  auto client = std::make_unique<RedisClient>(a, timeout_ms_, loading_);
  RedisClient* c = client.get();
  nodes_.emplace(name, std::move(client));
  return c;
}

Status RedisCluster::Refresh() {
  refreshed_ms_ = MonoMillis();
  // The masters of the current map first (they know best), then the seeds.
  std::vector<std::string> ask = masters_;
  for (const auto& s : seeds_) ask.push_back(s.ToString());
  Status last = Status::Unavailable("redis cluster: no seed node");
  for (const auto& name : ask) {
    RedisClient* c = Node(name);
    if (!c) continue;
    Status st;
    Reply r = c->Command({"CLUSTER", "SLOTS"}, &st);
    if (!st.ok()) {
      last = st;
      continue;
    }
    if (r->type != REDIS_REPLY_ARRAY) {
      last = Status::Unavailable("redis " + name + ": CLUSTER SLOTS: " +
                                 (r->type == REDIS_REPLY_ERROR ? std::string(r->str, r->len) : "not an array"));
      continue;
    }
    std::vector<std::string> masters;
    std::array<int16_t, kClusterSlots> owner;
    owner.fill(-1);
    for (size_t i = 0; i < r->elements; i++) {
      // [start, end, [ip, port, id, ...], replicas...]
      const redisReply* range = r->element[i];
      if (range->type != REDIS_REPLY_ARRAY || range->elements < 3) continue;
      const redisReply* m = range->element[2];
      if (m->type != REDIS_REPLY_ARRAY || m->elements < 2 || m->element[0]->type != REDIS_REPLY_STRING) continue;
      std::string host(m->element[0]->str, m->element[0]->len);
      if (host.empty() || host == "?") host = "127.0.0.1";  // unknown address: this host
      std::string node = host + ":" + std::to_string(m->element[1]->integer);
      int16_t index = -1;
      for (size_t k = 0; k < masters.size(); k++)
        if (masters[k] == node) index = static_cast<int16_t>(k);
      if (index < 0) {
        index = static_cast<int16_t>(masters.size());
        masters.push_back(node);
      }
      long long from = range->element[0]->integer, to = range->element[1]->integer;
      for (long long s = from; s <= to && s < kClusterSlots; s++)
        if (s >= 0) owner[s] = index;
    }
    if (masters.empty()) {
      last = Status::Unavailable("redis " + name + ": CLUSTER SLOTS lists no master");
      continue;
    }
    masters_ = std::move(masters);
    slot_owner_ = owner;
    stale_ = false;
    return Status::Ok();
  }
  return last;
}

RedisClient* RedisCluster::Owner(int slot, Status* status) {
  if (stale_ && (masters_.empty() || MonoMillis() - refreshed_ms_ >= kRefreshEveryMs)) {
    Status st = Refresh();
    if (!st.ok() && masters_.empty()) {
      *status = st;
      return nullptr;
    }
  }
  int16_t index = slot_owner_[slot];
  if (index < 0) {
    stale_ = true;
    *status = Status::Unavailable("redis cluster: no node serves slot " + std::to_string(slot));
    return nullptr;
  }
  RedisClient* c = Node(masters_[index]);
  *status = c ? Status::Ok() : Status::Internal("redis cluster: bad node address " + masters_[index]);
  return c;
}

int RedisCluster::SlotOf(const std::vector<std::string>& argv) const {
  int k = FirstKeyIndex(argv);
  return k < 0 ? -1 : KeySlot(argv[k]);
}

Reply RedisCluster::Routed(int slot, const std::function<Reply(RedisClient*, Status*)>& send, Status* status) {
  if (slot < 0) {
    // No key: the first master that answers (only idempotent keyless
    // commands are sent: PING, INFO, TIME, SCRIPT LOAD).
    Status st;
    Owner(0, &st);  // reads the map when needed
    std::vector<std::string> masters = masters_;
    if (masters.empty()) for (const auto& s : seeds_) masters.push_back(s.ToString());
    *status = masters.empty() ? Status::Unavailable("redis cluster: no node known") : st;
    for (const auto& name : masters) {
      RedisClient* c = Node(name);
      if (!c) continue;
      Reply r = send(c, status);
      if (status->ok()) {
        last_ = c;
        return r;
      }
      stale_ = true;
    }
    errors_++;
    return nullptr;
  }
  RedisClient* target = nullptr;
  bool asking = false;
  for (int hop = 0; hop <= kMaxRedirects; hop++) {
    if (!target) target = Owner(slot, status);
    if (!target) break;
    if (asking) {
      target->Command({"ASKING"}, status);
      if (!status->ok()) break;
    }
    Reply r = send(target, status);
    last_ = target;
    if (!status->ok()) {
      // Never resent: it may have run. The next call reads the map first.
      stale_ = true;
      break;
    }
    std::string node;
    Redirect kind = ParseRedirect(r.get(), &node);
    if (kind == Redirect::kNone) return r;
    if (kind == Redirect::kMoved) {
      stale_ = true;
      Refresh();  // for the calls after this one; this one goes where it was told
      asking = false;
    } else {
      asking = true;
    }
    target = Node(node);
    if (!target) {
      *status = Status::Internal("redis cluster: bad redirect " + std::string(r->str, r->len));
      break;
    }
    if (hop == kMaxRedirects) *status = Status::Unavailable("redis cluster: more than " + std::to_string(kMaxRedirects) +
                                                            " redirects for slot " + std::to_string(slot));
  }
  errors_++;
  return nullptr;
}

bool RedisCluster::GroupByMaster(size_t n, const std::function<int(size_t)>& slot_of, Groups* groups, Status* status) {
  for (size_t i = 0; i < n; i++) {
    int slot = slot_of(i);
    RedisClient* c = Owner(slot < 0 ? 0 : slot, status);  // a keyless command goes with slot 0's master
    if (!c) {
      errors_++;
      return false;
    }
    auto it = std::find_if(groups->begin(), groups->end(), [c](const auto& g) { return g.first == c; });
    if (it == groups->end()) it = groups->insert(groups->end(), {c, {}});
    it->second.push_back(i);
  }
  return true;
}

Reply RedisCluster::Command(const std::vector<std::string>& argv, Status* status) {
  return Routed(SlotOf(argv), [&](RedisClient* c, Status* st) { return c->Command(argv, st); }, status);
}

Reply RedisCluster::Eval(ScriptCall call, Status* status) {
  return Routed(SlotOf(call.argv), [&](RedisClient* c, Status* st) { return c->Eval(call, st); }, status);
}

std::vector<Reply> RedisCluster::Pipeline(const std::vector<std::vector<std::string>>& commands, Status* status) {
  std::vector<Reply> replies(commands.size());
  Groups groups;
  if (!GroupByMaster(commands.size(), [&](size_t i) { return SlotOf(commands[i]); }, &groups, status)) return {};
  for (auto& [c, members] : groups) {
    std::vector<std::vector<std::string>> part;
    for (size_t i : members) part.push_back(commands[i]);
    std::vector<Reply> got = c->Pipeline(part, status);
    if (!status->ok()) {
      stale_ = true;
      errors_++;
      return {};
    }
    for (size_t k = 0; k < got.size(); k++) replies[members[k]] = std::move(got[k]);
  }
  for (size_t i = 0; i < replies.size(); i++) {
    if (!IsRedirect(replies[i])) continue;
    replies[i] = Command(commands[i], status);  // redirected: it did not run
    if (!status->ok()) return {};
  }
  *status = Status::Ok();
  return replies;
}

std::vector<Reply> RedisCluster::EvalPipeline(std::vector<ScriptCall> calls, Status* status) {
  std::vector<Reply> replies(calls.size());
  Groups groups;
  if (!GroupByMaster(calls.size(), [&](size_t i) { return SlotOf(calls[i].argv); }, &groups, status)) return {};
  for (auto& [c, members] : groups) {
    std::vector<ScriptCall> part;
    for (size_t i : members) part.push_back(calls[i]);
    std::vector<Reply> got = c->EvalPipeline(std::move(part), status);
    if (!status->ok()) {
      stale_ = true;
      errors_++;
      return {};
    }
    last_ = c;
    for (size_t k = 0; k < got.size(); k++) replies[members[k]] = std::move(got[k]);
  }
  for (size_t i = 0; i < replies.size(); i++) {
    if (!IsRedirect(replies[i])) continue;
    replies[i] = Eval(calls[i], status);
    if (!status->ok()) return {};
  }
  *status = Status::Ok();
  return replies;
}

Status RedisCluster::RunIdOf(const std::string& key, std::string* run_id) {
  Status st;
  RedisClient* c = Owner(KeySlot(key), &st);
  if (!c) return st;
  return c->RunIdOf(key, run_id);
}

std::string RedisCluster::NodeOf(const std::string& key) {
  Status st;
  Owner(KeySlot(key), &st);
  int16_t index = slot_owner_[KeySlot(key)];
  return index < 0 ? "" : masters_[index];
}

std::vector<std::string> RedisCluster::Masters(Status* status) {
  Owner(0, status);
  if (!masters_.empty()) *status = Status::Ok();
  return masters_;
}

Status RedisCluster::ForEachMaster(const std::function<Status(RedisClient*)>& f) {
  Status st;
  std::vector<std::string> masters = Masters(&st);
  if (!st.ok()) return st;
  Status first;
  for (const auto& name : masters) {
    RedisClient* c = Node(name);
    Status s = c ? f(c) : Status::Internal("redis cluster: bad node address " + name);
    if (!s.ok() && first.ok()) first = s;
  }
  return first;
}

Status RedisCluster::WaitReplicas(int replicas, int timeout_ms) {
  if (!last_ || replicas <= 0) return Status::Ok();
  Status st;
  const uint64_t connects = last_->connects();
  Reply r = last_->Command({"WAIT", std::to_string(replicas), std::to_string(timeout_ms)}, &st);
  if (!st.ok()) return st;
  // WAIT counts the writes of its own connection: on a new one it proves nothing.
  if (last_->connects() != connects) return Status::Unavailable("WAIT: the connection was reopened");
  if (r->type != REDIS_REPLY_INTEGER)
    return Status::Unavailable("WAIT: " + (r->type == REDIS_REPLY_ERROR ? std::string(r->str, r->len) : "not an integer"));
  if (r->integer < replicas)
    return Status::Unavailable("WAIT: " + std::to_string(r->integer) + " of " + std::to_string(replicas) +
                               " replicas in " + std::to_string(timeout_ms) + " ms");
  return Status::Ok();
}

}  // namespace seckill
