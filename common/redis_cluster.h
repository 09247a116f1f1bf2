// redis_cluster.h — the routing half of a RedisClient whose address is a
// Redis Cluster ("cluster:host:port,host:port…", common/redis_client.h): the
// slot map read from CLUSTER SLOTS, one RedisClient (a plain node connection)
// per master, and the redirects.
//
// Owns its node connections. Not thread-safe: it belongs to one RedisClient,
// one per thread/process.
//
// Routing: a command goes to the master of its first key's slot
// (common/redis_slot.h; EVALSHA by its first KEY, never its SHA); a command
// without a key (PING, INFO, TIME, SCRIPT LOAD) to the first master that
// answers. Redirects, at most kMaxRedirects per call:
//   MOVED slot node   the map is stale: read CLUSTER SLOTS again, send to node
//   ASK slot node     the slot is migrating: ASKING then the command, once, on
//                     node; the map is unchanged
//   TRYAGAIN, CLUSTERDOWN   Unavailable (the caller answers 503), not retried
// A redirect means the command did not run, so resending it is safe. After an
// I/O error the command is never resent (it may have run): the call fails
// Unavailable and the next call reads the slot map again first (a failover
// moves a shard's slots to its promoted replica). Each node connection keeps
// the policies of redis_client.h: NOSCRIPT is answered there (a failed-over
// node has an empty script cache), and a script's ServerRunId is the run_id
// of the node it runs on — the master that owns the event, so the restart gate
// (keys.h: verified_run) is per shard.
#pragma once
#include <array>
#include <cstdint>
#include <functional>
#include <map>
#include <utility>
#include <memory>
#include <string>
#include <vector>

#include "common/redis_client.h"
#include "common/redis_slot.h"

namespace seckill {

class RedisCluster {
 public:
  static constexpr int kMaxRedirects = 5;

  // `seeds`: any nodes of the cluster (host:port, with the password to use on
  // every node). Connects lazily, on the first call.
  // `loading`: each master's client's (redis_client.h: the worker's may not
  // load scripts).
  RedisCluster(std::vector<RedisAddress> seeds, int timeout_ms, ScriptLoading loading = ScriptLoading::kLoad);
  ~RedisCluster();

  // As RedisClient's, routed as above.
  Reply Command(const std::vector<std::string>& argv, Status* status);
  // Groups the commands by master and pipelines each group on its node (one
  // round trip per master); a command redirected is sent again alone.
  // Fails as a whole, as RedisClient::Pipeline does.
  std::vector<Reply> Pipeline(const std::vector<std::vector<std::string>>& commands, Status* status);
  Reply Eval(ScriptCall call, Status* status);
  std::vector<Reply> EvalPipeline(std::vector<ScriptCall> calls, Status* status);

  // The run_id of the master that owns `key`'s slot (connecting if needed).
  Status RunIdOf(const std::string& key, std::string* run_id);
  // "host:port" of the master that owns `key`'s slot by the current map ("" if
  // no map could be read). Reads the map first if it has none or it is stale.
  std::string NodeOf(const std::string& key);
  // The masters, "host:port", of the current map (read first if needed).
  std::vector<std::string> Masters(Status* status);
  // Calls f with the connection of every master of the current map, in turn;
  // returns the first error (after calling it on all of them).
  Status ForEachMaster(const std::function<Status(RedisClient*)>& f);
  // WAIT replicas timeout_ms on the node that ran the last command: Ok when
  // at least `replicas` replicas hold every write this process sent it;
  // Unavailable otherwise (or when no command was sent yet: Ok).
  Status WaitReplicas(int replicas, int timeout_ms);

  uint64_t round_trips() const;
  uint64_t errors() const { return errors_; }

 private:
  // Reads CLUSTER SLOTS from a known node (seeds included); Unavailable when none answers.
  Status Refresh();
  // The connection to `name` ("host:port"), made on first use.
  RedisClient* Node(const std::string& name);
  // The master of `slot`, reading the map first when stale. Unavailable when no node serves it.
  RedisClient* Owner(int slot, Status* status);
  // Sends with `send` to slot's owner (any master when slot < 0), following redirects.
  Reply Routed(int slot, const std::function<Reply(RedisClient*, Status*)>& send, Status* status);
  int SlotOf(const std::vector<std::string>& argv) const;
  // Items 0..n-1 grouped by the master of slot_of(i), masters in order of
  // first appearance. False (with *status) when a slot has no master.
  using Groups = std::vector<std::pair<RedisClient*, std::vector<size_t>>>;
  bool GroupByMaster(size_t n, const std::function<int(size_t)>& slot_of, Groups* groups, Status* status);

  std::vector<RedisAddress> seeds_;
  ScriptLoading loading_;
  int timeout_ms_;
  RedisAddress template_;                              // password and timeouts of every node
  std::map<std::string, std::unique_ptr<RedisClient>> nodes_;
  std::vector<std::string> masters_;                   // index = slot_owner_ value
  std::array<int16_t, kClusterSlots> slot_owner_;      // slot -> index in masters_, -1 none
  bool stale_ = true;                                  // read the map before the next routing
  int64_t refreshed_ms_ = 0;                           // monotonic ms of the last read
  RedisClient* last_ = nullptr;                        // the node of the last command (WAIT's)
  uint64_t errors_ = 0;
  uint64_t retired_round_trips_ = 0;
};

}  // namespace seckill
