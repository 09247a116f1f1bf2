// operator_status.h — the JSON behind the operator's live page
// (GET /status/{event} on the local-only admin listener): the event's stock
// and transitions from Redis, each of this host's nodes (its weight, its
// allotment and tickets held, read-only from its SQLite file; its requests
// by outcome from its metrics file), nginx's request count (stub_status,
// which includes the sold-out answers nginx gives itself), and the
// reconciler's last pass.
// The page turns the cumulative counts into rates. One Redis round trip and
// one local HTTP request per call. Not thread-safe.
#pragma once
#include <string>

#include "common/cluster_config.h"
#include "common/redis_client.h"
#include "fcgi/response.h"

namespace seckill {

struct StatusSources {
  const ClusterConfig* cluster;
  RedisClient* redis;
  std::string sqlite_dir;        // <dir>/<node>.sqlite: this host's node counters
  std::string metrics_dir;       // <dir>/<node>.shm: this host's node metrics
  std::string nginx_status_url;  // stub_status; empty: not reported
};

// Returns the status of `event` (404 for an unknown event, 503 without Redis).
Response OperatorStatus(const StatusSources& sources, const std::string& event);

}  // namespace seckill
