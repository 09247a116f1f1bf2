// cluster_config.h — the cluster config file (etc/cluster.conf): the node
// pools, their weights and process counts, the allotment buffer and limits.
//
// One file describes the whole sale cluster and is the same on every host;
// host-specific addresses (Redis, sockets, paths) are command-line flags.
// Format: INI-like, "# comment", "[sale]", "[identity]" and "[node NAME]"
// sections, "key = value" lines; a section may appear again (the local stack
// appends its own [identity] lines to a copy: a later value wins, keys add up).
// Immutable after Load: safe to share between threads.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "common/identity.h"
#include "common/status.h"

namespace seckill {

struct NodeConfig {
  std::string name;   // a valid id; names the SQLite file and the pool socket
  int weight = 1;     // nginx upstream weight and share of every event's stock
  int processes = 2;  // FastCGI processes in the pool
};

// [identity]: who a buyer is (common/identity.h, docs/api.md "Identity").
//   key KID = ALG PATH          a public key (ES256, RS256) or HS256 secret file; several for rotation
//   leeway_seconds = 30         clock leeway on exp, nbf and iat
//   anonymous_buy_ticket = off  /buy/ticket sells to a made-up user per request (on: the local stack)
//   demo_sign_in = off          nginx routes POST /demo/sign-in to the demo sign-in (on: the local stack)
struct IdentityConfig {
  std::vector<KeySpec> keys;
  int leeway_seconds = 30;
  bool anonymous_buy_ticket = false;
  bool demo_sign_in = false;
};

struct ClusterConfig {
  std::vector<NodeConfig> nodes;
  int buffer_percent = 15;             // each node's allotment = its share + this % of the stock
  std::string default_event = "default";  // the event sold by /buy/ticket
  int max_body_bytes = 4096;           // largest request body a worker reads
  int rate_per_second = 0;             // nginx limit_req per client address (0 = off)
  int rate_burst = 20;                 // nginx limit_req burst
  int connections_per_address = 0;     // nginx limit_conn per client address (0 = off)
  IdentityConfig identity;             // [identity]

  // Parses the file at `path`. Returns Invalid with "path:line: reason".
  static Status Load(const std::string& path, ClusterConfig* out);
  static Status Parse(const std::string& text, const std::string& origin, ClusterConfig* out);

  // Returns the node called `name`, or nullptr.
  const NodeConfig* Find(const std::string& name) const;
  int TotalWeight() const;

  // Returns how many of `total` tickets node `name` may sell: its weighted
  // share (rounded up) plus buffer_percent of the total, at most the total.
  // The allotments add up to more than the total on purpose: the other nodes
  // can sell what a dead node cannot. Returns 0 for an unknown node.
  int64_t Allotment(const std::string& name, int64_t total) const;
};

}  // namespace seckill
