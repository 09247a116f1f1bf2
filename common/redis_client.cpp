#include "common/redis_client.h"

#include <poll.h>
#include <sys/socket.h>
#include <sys/time.h>

#include <cerrno>
#include <cstring>
#include <string_view>

#include "common/redis_cluster.h"

namespace seckill {
namespace {

// Errors a server gives while it cannot serve for now: loading its data,
// running a long script, failing over, or refusing writes at its maxmemory
// (noeviction: OOM, until finished orders' hashes expire). They mean
// "unavailable", not a bug.
bool IsTransientError(const char* msg) {
  for (const char* p : {"LOADING", "BUSY", "MASTERDOWN", "TRYAGAIN", "CLUSTERDOWN", "OOM"})
    if (strncmp(msg, p, strlen(p)) == 0) return true;
  return false;
}

}  // namespace

Status RedisAddress::Parse(const std::string& text, RedisAddress* out) {
  RedisAddress a;
  if (text.rfind("cluster:", 0) == 0) {
    size_t from = 8;
    while (from <= text.size()) {
      size_t comma = text.find(',', from);
      if (comma == std::string::npos) comma = text.size();
      RedisAddress node;
      node.password = out->password;
      Status st = Parse(text.substr(from, comma - from), &node);
      if (!st.ok() || !node.cluster.empty()) return Status::Invalid("redis cluster address: bad node in '" + text + "'");
      a.cluster.push_back(node);
      from = comma + 1;
    }
    a.password = out->password;
    *out = a;
    return Status::Ok();
  }
  if (text.rfind("unix:", 0) == 0) {
    a.unix_path = text.substr(5);
    if (a.unix_path.empty()) return Status::Invalid("redis address: empty unix socket path");
  } else {
    size_t colon = text.rfind(':');
    if (colon == std::string::npos || colon == 0) return Status::Invalid("redis address must be unix:/path or host:port, got '" + text + "'");
    a.host = text.substr(0, colon);
    char* end = nullptr;
    long port = strtol(text.c_str() + colon + 1, &end, 10);
    if (*end != '\0' || port <= 0 || port > 65535) return Status::Invalid("redis address: bad port in '" + text + "'");
    a.port = static_cast<int>(port);
  }
  a.password = out->password;
  *out = a;
  return Status::Ok();
}

std::string RedisAddress::ToString() const {
  if (!cluster.empty()) {
    std::string s = "cluster:";
    for (size_t i = 0; i < cluster.size(); i++) s += (i ? "," : "") + cluster[i].ToString();
    return s;
  }
  return unix_path.empty() ? host + ":" + std::to_string(port) : "unix:" + unix_path;
}

RedisClient::RedisClient(RedisAddress address, int timeout_ms, ScriptLoading loading)
    : address_(std::move(address)), timeout_ms_(timeout_ms), loading_(loading) {
  if (!address_.cluster.empty()) {
    std::vector<RedisAddress> seeds = address_.cluster;
    for (auto& s : seeds) s.password = address_.password;  // set after Parse (a password file)
    cluster_ = std::make_unique<RedisCluster>(std::move(seeds), timeout_ms, loading);
  }
}

uint64_t RedisClient::round_trips() const { return cluster_ ? cluster_->round_trips() : round_trips_; }
uint64_t RedisClient::errors() const { return cluster_ ? cluster_->errors() : errors_; }

Status RedisClient::RunIdOf(const std::string& key, std::string* run_id) {
  if (cluster_) return cluster_->RunIdOf(key, run_id);
  Status st = EnsureConnected();
  if (!st.ok()) errors_++;
  *run_id = run_id_;
  return st;
}

Status RedisClient::ForEachServer(const std::function<Status(RedisClient*)>& f) {
  return cluster_ ? cluster_->ForEachMaster(f) : f(this);
}

std::string RedisClient::NodeOf(const std::string& key) { return cluster_ ? cluster_->NodeOf(key) : ""; }

Status RedisClient::ConfirmWrites() {
  if (!cluster_ || confirm_replicas_ <= 0) return Status::Ok();
  return cluster_->WaitReplicas(confirm_replicas_, confirm_ms_);
}

RedisClient::~RedisClient() { Drop(); }

void RedisClient::Drop() {
  if (ctx_) redisFree(ctx_);
  ctx_ = nullptr;
  run_id_.clear();
  scripts_checked_ = false;
}

// True when the server has closed `fd` (EOF or an error waiting to be read)
// while it was idle: a command written now would not be delivered. On a
// unix socket the write itself fails (EPIPE, below); on TCP the write
// succeeds and only the read fails, which looks like a command that may
// have run. Nothing is ever pending on an idle connection, so anything
// readable means closed.
static bool PeerClosed(int fd) {
  struct pollfd p = {fd, POLLIN, 0};
  if (poll(&p, 1, 0) <= 0) return false;
  char c;
  ssize_t n = recv(fd, &c, 1, MSG_PEEK | MSG_DONTWAIT);
  return n == 0 || (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK);
}

Status RedisClient::EnsureConnected() {
  if (ctx_ && !PeerClosed(ctx_->fd)) return Status::Ok();
  if (ctx_) Drop();  // closed by the server while idle (a restart): reconnect, nothing was sent
  struct timeval tv = {timeout_ms_ / 1000, (timeout_ms_ % 1000) * 1000};
  ctx_ = address_.unix_path.empty() ? redisConnectWithTimeout(address_.host.c_str(), address_.port, tv)
                                    : redisConnectUnixWithTimeout(address_.unix_path.c_str(), tv);
  if (!ctx_ || ctx_->err) {
    std::string why = ctx_ ? ctx_->errstr : "out of memory";
    Drop();
    return Status::Unavailable("redis " + address_.ToString() + ": " + why);
  }
  redisSetTimeout(ctx_, tv);
  connects_++;
  if (!address_.password.empty()) {
    std::vector<std::string> auth = {"AUTH"};
    size_t colon = address_.password.find(':');
    if (colon != std::string::npos) {
      auth.push_back(address_.password.substr(0, colon));
      auth.push_back(address_.password.substr(colon + 1));
    } else {
      auth.push_back(address_.password);
    }
    Status st;
    Reply r = Raw(auth, &st);
    if (!st.ok()) {
      Drop();  // a half-set-up connection is never reused
      return st;
    }
    if (r->type == REDIS_REPLY_ERROR) {
      std::string why(r->str, r->len);
      Drop();
      return Status::Unavailable("redis AUTH: " + why);
    }
  }
  run_id_.clear();
  Status st;
  Reply info = Raw({"INFO", "server"}, &st);
  if (!st.ok()) {
    Drop();  // e.g. BUSY: connect again next time rather than go on without a run_id
    return st;
  }
  if (info->type == REDIS_REPLY_STRING) {
    std::string_view text(info->str, info->len);
    size_t at = text.find("run_id:");
    if (at != std::string_view::npos) {
      size_t end = text.find_first_of("\r\n", at);
      run_id_ = std::string(text.substr(at + 7, end == std::string_view::npos ? end : end - at - 7));
    }
  }
  return Status::Ok();
}

Reply RedisClient::Raw(const std::vector<std::string>& argv, Status* status, bool* undelivered) {
  const char* args[64];
  size_t lens[64];
  std::vector<const char*> big_args;
  std::vector<size_t> big_lens;
  const char** a = args;
  size_t* l = lens;
  if (argv.size() > 64) {
    big_args.resize(argv.size());
    big_lens.resize(argv.size());
    a = big_args.data();
    l = big_lens.data();
  }
  for (size_t i = 0; i < argv.size(); i++) {
    a[i] = argv[i].data();
    l[i] = argv[i].size();
  }
  round_trips_++;
  errno = 0;
  auto* r = static_cast<redisReply*>(redisCommandArgv(ctx_, static_cast<int>(argv.size()), a, l));
  if (!r && ctx_->err == REDIS_ERR_IO && errno == EPIPE && undelivered) {
    // The server closed this connection before we wrote (a Redis restart
    // while we were idle): the command was not delivered. The caller may
    // send it again on a fresh connection. Any other I/O error may have come
    // after the server ran the command, and is not retried.
    *status = Status::Unavailable("redis " + address_.ToString() + ": connection closed by the server");
    Drop();
    *undelivered = true;
    return nullptr;
  }
  if (!r) {
    *status = Status::Unavailable("redis " + address_.ToString() + ": " + (ctx_->errstr[0] ? ctx_->errstr : "connection lost"));
    Drop();
    return nullptr;
  }
  *status = Status::Ok();
  if (r->type == REDIS_REPLY_ERROR && IsTransientError(r->str)) {
    *status = Status::Unavailable("redis " + address_.ToString() + ": " + std::string(r->str, r->len));
    freeReplyObject(r);
    return nullptr;
  }
  return Reply(r);
}

Reply RedisClient::Command(const std::vector<std::string>& argv, Status* status) {
  if (cluster_) return cluster_->Command(argv, status);
  return Send(argv, nullptr, status);
}

Reply RedisClient::Send(const std::vector<std::string>& argv, std::string* run_id_arg, Status* status) {
  Reply r;
  for (int attempt = 0; attempt < 2; attempt++) {
    *status = EnsureConnected();
    if (!status->ok()) break;
    // The run_id of this connection's server, not of the one just lost.
    if (run_id_arg) *run_id_arg = run_id_;
    bool undelivered = false;
    r = Raw(argv, status, attempt == 0 ? &undelivered : nullptr);
    if (!undelivered) break;
  }
  if (!status->ok()) errors_++;
  return r;
}

std::vector<Reply> RedisClient::Pipeline(const std::vector<std::vector<std::string>>& commands, Status* status) {
  if (cluster_) return cluster_->Pipeline(commands, status);
  std::vector<Reply> replies;
  *status = EnsureConnected();
  if (!status->ok() || commands.empty()) return replies;
  std::vector<const char*> a;
  std::vector<size_t> l;
  for (const auto& argv : commands) {
    a.clear();
    l.clear();
    for (const auto& s : argv) {
      a.push_back(s.data());
      l.push_back(s.size());
    }
    // Appending only fills hiredis's output buffer; redisGetReply writes it.
    if (redisAppendCommandArgv(ctx_, static_cast<int>(argv.size()), a.data(), l.data()) != REDIS_OK) {
      *status = Status::Unavailable("redis " + address_.ToString() + ": " + (ctx_->errstr[0] ? ctx_->errstr : "out of memory"));
      Drop();
      return replies;
    }
  }
  round_trips_++;
  replies.reserve(commands.size());
  for (size_t i = 0; i < commands.size(); i++) {
    void* r = nullptr;
    if (redisGetReply(ctx_, &r) != REDIS_OK || !r) {
      *status = Status::Unavailable("redis " + address_.ToString() + ": " + (ctx_->errstr[0] ? ctx_->errstr : "connection lost"));
      Drop();
      replies.clear();
      return replies;
    }
    replies.emplace_back(static_cast<redisReply*>(r));
  }
  for (const Reply& r : replies) {
    if (r->type == REDIS_REPLY_ERROR && IsTransientError(r->str)) {
      *status = Status::Unavailable("redis " + address_.ToString() + ": " + std::string(r->str, r->len));
      replies.clear();
      return replies;
    }
  }
  return replies;
}

Status RedisClient::LoadScript(size_t script) {
  if (script >= kLuaScriptCount) return Status::Internal("no embedded Lua script #" + std::to_string(script));
  Status st;
  Reply r = Command({"SCRIPT", "LOAD", kLuaScripts[script].source}, &st);
  if (!st.ok()) return st;
  const char* name = kLuaScripts[script].name;
  if (r->type != REDIS_REPLY_STRING) {
    return Status::Internal(std::string("SCRIPT LOAD ") + name + ": " +
                            (r->type == REDIS_REPLY_ERROR ? std::string(r->str, r->len) : "unexpected reply"));
  }
  if (std::string_view(r->str, r->len) != kLuaScripts[script].sha1)
    return Status::Internal(std::string("SCRIPT LOAD ") + name + ": Redis names it " + std::string(r->str, r->len) +
                            ", the build " + kLuaScripts[script].sha1);
  return Status::Ok();
}

Status RedisClient::LoadScripts(size_t* loaded) {
  *loaded = 0;
  if (cluster_) {  // every master: a promoted replica starts with an empty script cache
    return cluster_->ForEachMaster([loaded](RedisClient* node) {
      size_t n = 0;
      Status st = node->LoadScripts(&n);
      *loaded += n;
      return st;
    });
  }
  std::vector<std::string> exists = {"SCRIPT", "EXISTS"};
  for (size_t i = 0; i < kLuaScriptCount; i++) exists.push_back(kLuaScripts[i].sha1);
  Status st;
  Reply r = Command(exists, &st);
  if (!st.ok()) return st;
  if (r->type != REDIS_REPLY_ARRAY || r->elements != kLuaScriptCount) {
    return Status::Internal("SCRIPT EXISTS: " +
                            (r->type == REDIS_REPLY_ERROR ? std::string(r->str, r->len) : std::string("unexpected reply")));
  }
  for (size_t i = 0; i < kLuaScriptCount; i++) {
    if (r->element[i]->type == REDIS_REPLY_INTEGER && r->element[i]->integer == 1) continue;
    st = LoadScript(i);
    if (!st.ok()) return st;
    ++*loaded;
  }
  scripts_checked_ = ctx_ != nullptr;
  return Status::Ok();
}

Reply RedisClient::Eval(ScriptCall call, Status* status) {
  if (cluster_) return cluster_->Eval(std::move(call), status);
  if (call.script >= kLuaScriptCount) {
    *status = Status::Internal("no embedded Lua script #" + std::to_string(call.script));
    return nullptr;
  }
  std::vector<std::string>& argv = call.argv;
  argv[1] = kLuaScripts[call.script].sha1;
  std::string* run_id_arg = call.run_id_at > 0 ? &argv[call.run_id_at] : nullptr;
  for (int attempt = 0; attempt < 2; attempt++) {
    Reply r = Send(argv, run_id_arg, status);
    if (!status->ok()) return nullptr;
    bool noscript = r->type == REDIS_REPLY_ERROR && r->len >= 8 && memcmp(r->str, "NOSCRIPT", 8) == 0;
    if (!noscript) return r;
    // NOSCRIPT: the server lost its script cache (restart, SCRIPT FLUSH) and
    // the script did not run, so sending it again cannot apply it twice.
    if (loading_ == ScriptLoading::kPreloaded || attempt == 1) {
      errors_++;
      *status = Status::Unavailable(std::string("redis: ") + kLuaScripts[call.script].name +
                                    ".lua is not loaded (NOSCRIPT): the reconciler loads the scripts at its next pass");
      return nullptr;
    }
    *status = LoadScript(call.script);
    if (!status->ok()) return nullptr;
  }
  return nullptr;  // unreachable
}

std::vector<Reply> RedisClient::EvalPipeline(std::vector<ScriptCall> calls, Status* status) {
  if (cluster_) return cluster_->EvalPipeline(std::move(calls), status);
  *status = EnsureConnected();  // run_id_ is then the server's that Pipeline writes to
  if (!status->ok()) return {};
  if (loading_ == ScriptLoading::kLoad && !scripts_checked_) {
    size_t loaded = 0;
    *status = LoadScripts(&loaded);
    if (!status->ok()) return {};
  }
  std::vector<std::vector<std::string>> commands;
  commands.reserve(calls.size());
  for (ScriptCall& call : calls) {
    if (call.script >= kLuaScriptCount) {
      *status = Status::Internal("no embedded Lua script #" + std::to_string(call.script));
      return {};
    }
    call.argv[1] = kLuaScripts[call.script].sha1;
    if (call.run_id_at > 0) call.argv[call.run_id_at] = run_id_;
    commands.push_back(std::move(call.argv));
  }
  return Pipeline(commands, status);
}

}  // namespace seckill
