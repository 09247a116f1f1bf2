// redis_client.h — one synchronous hiredis connection, with the project's
// Lua scripts called by EVALSHA (the typed calls: build/gen/lua_protocol.h).
//
// Owns its redisContext. Not thread-safe: one RedisClient per thread/process.
// The connection is opened lazily and reopened on the next call after any I/O
// error, so a worker survives Redis restarts without being restarted itself.
// A reply of type REDIS_REPLY_ERROR is returned as a reply, not a Status: the
// caller decides what a script error means. Commands are never retried after
// an I/O error that may have come after the command ran; a write refused
// because the server had closed the connection (EPIPE) is sent once more on
// a fresh one. Scripts are called by their SHA1, known at build time
// (kLuaScripts); a NOSCRIPT is retried after SCRIPT LOAD by the operator side
// (ScriptLoading::kLoad: seckill-admin, the reconciler), and is Unavailable
// for a worker (kPreloaded), whose Redis user may run EVALSHA only.
//
// Cluster mode: with an address "cluster:host:port,host:port…" (any nodes of
// a Redis Cluster), every call is routed to the master of its first key's
// slot by common/redis_cluster.h, over one plain RedisClient per master (each
// with this client's ScriptLoading); run_id() is then empty: ask RunIdOf(key).
#pragma once
#include <hiredis/hiredis.h>

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "common/script_call.h"
#include "common/status.h"

namespace seckill {

struct ReplyDeleter {
  void operator()(redisReply* r) const { if (r) freeReplyObject(r); }
};
using Reply = std::unique_ptr<redisReply, ReplyDeleter>;

struct RedisAddress {
  std::string unix_path;  // set for "unix:/path"
  std::string host;       // set for "host:port"
  int port = 0;
  std::string password;   // AUTH when not empty ("user:password" for an ACL user)
  std::vector<RedisAddress> cluster;  // set for "cluster:host:port,…": the seed nodes

  // Parses "unix:/path/to/sock", "host:port" or "cluster:host:port,host:port…".
  // Returns Invalid on anything else. Keeps out->password (for every node).
  static Status Parse(const std::string& text, RedisAddress* out);
  std::string ToString() const;
};

// Who loads the project's scripts into Redis.
enum class ScriptLoading {
  kLoad,       // this client: SCRIPT LOAD on NOSCRIPT, then EVALSHA again (the operator side)
  kPreloaded,  // someone else: a NOSCRIPT is Unavailable (503) until they have (the worker)
};

class RedisCluster;

class RedisClient {
 public:
  RedisClient(RedisAddress address, int timeout_ms, ScriptLoading loading = ScriptLoading::kLoad);
  ~RedisClient();
  RedisClient(const RedisClient&) = delete;
  RedisClient& operator=(const RedisClient&) = delete;

  // Runs one command. Returns the reply, or null with *status set to
  // Unavailable when Redis cannot be reached or the connection broke.
  Reply Command(const std::vector<std::string>& argv, Status* status);

  // Sends every command of `commands` in one write, then reads their replies
  // in order: one round trip for many commands. Returns one reply per
  // command (error replies included, as Command does), or nothing with
  // *status set to Unavailable when the connection broke or Redis answered a
  // transient error; then any prefix of the commands may have run, and the
  // commands are not retried: pipeline only what is safe to send again.
  std::vector<Reply> Pipeline(const std::vector<std::vector<std::string>>& commands, Status* status);

  // Runs one call of an embedded script (common/script_call.h; the typed
  // calls of build/gen/lua_protocol.h build it) with EVALSHA of its built-in
  // SHA1. On NOSCRIPT (the script did not run): kLoad loads it and sends
  // once more; kPreloaded returns null with *status Unavailable.
  // A ServerRunId argument is filled in at each send with run_id().
  Reply Eval(ScriptCall call, Status* status);

  // Sends every call of `calls` in one write (Pipeline) and reads their
  // replies in order; with kLoad, every script is loaded first (LoadScripts)
  // once per connection. As Pipeline: nothing is retried; a NOSCRIPT comes
  // back as that call's error reply.
  std::vector<Reply> EvalPipeline(std::vector<ScriptCall> calls, Status* status);

  // Loads every embedded script the server (in cluster mode: each master)
  // lacks: one SCRIPT EXISTS of all
  // their SHA1s, then SCRIPT LOAD of each missing one. Sets *loaded to how
  // many it loaded. Returns Internal when the server names a script by
  // another SHA1 than the build's, Unavailable when Redis cannot be reached,
  // and the server's error (NOPERM for a user without SCRIPT LOAD) as Internal.
  Status LoadScripts(size_t* loaded);
  // The run_id of the server that holds `key` (this one; in cluster mode
  // the master of its slot), connecting first if needed.
  Status RunIdOf(const std::string& key, std::string* run_id);
  // The server that holds `key`: "" on a single server; in cluster mode its
  // master's "host:port" by the current slot map ("" when none is known).
  std::string NodeOf(const std::string& key);
  bool is_cluster() const { return cluster_ != nullptr; }
  // Calls f with this client, or in cluster mode with each master's
  // connection in turn (what is per server: SCRIPT LOAD, INFO); returns the
  // first error.
  Status ForEachServer(const std::function<Status(RedisClient*)>& f);

  // Acknowledged means replicated (cluster mode): after set_confirm(n, ms),
  // ConfirmWrites() sends WAIT n ms to the node of the last call and
  // returns Ok only when n replicas hold this process's writes to it;
  // Unavailable otherwise. Ok at once on a single server or when n is 0.
  void set_confirm(int replicas, int timeout_ms) { confirm_replicas_ = replicas; confirm_ms_ = timeout_ms; }
  Status ConfirmWrites();

  // Counts round trips to Redis since start (for the benchmarks and metrics).
  uint64_t round_trips() const;
  // Calls that failed with Unavailable (unreachable, broken connection).
  uint64_t errors() const;
  // Connections opened so far (a change between two calls: not the same connection).
  uint64_t connects() const { return connects_; }
  const RedisAddress& address() const { return address_; }

  // The run_id (INFO server) of the Redis process behind the current
  // connection, read on every (re)connect; empty before the first command,
  // when INFO is refused, or while the connection is down. It changes
  // whenever Redis restarts, so comparing it with an event's verified_run
  // (keys.h) tells whether this process was checked against MySQL since it
  // started (reconciler/repair.h).
  const std::string& run_id() const { return run_id_; }

 private:
  Status EnsureConnected();
  void Drop();
  // Sends on the open connection. When `undelivered` is given and the server
  // had closed the connection before the write (EPIPE), sets it: the command
  // did not run and may be sent again.
  Reply Raw(const std::vector<std::string>& argv, Status* status, bool* undelivered = nullptr);
  // Connects if needed and sends, once more after an undelivered write;
  // writes run_id() into *run_id_arg (an element of argv) before each send.
  Reply Send(const std::vector<std::string>& argv, std::string* run_id_arg, Status* status);
  Status LoadScript(size_t script);

  RedisAddress address_;
  int timeout_ms_;
  ScriptLoading loading_;
  redisContext* ctx_ = nullptr;
  bool scripts_checked_ = false;  // kLoad: LoadScripts ran on this connection (EvalPipeline)
  std::string run_id_;
  uint64_t round_trips_ = 0;
  uint64_t errors_ = 0;
  uint64_t connects_ = 0;
  std::unique_ptr<RedisCluster> cluster_;  // set in cluster mode: every call goes through it
  int confirm_replicas_ = 0;
  int confirm_ms_ = 0;
};

}  // namespace seckill
