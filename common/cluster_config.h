// cluster_config.h — the cluster config file (etc/cluster.conf): the node
// pools, their weights and process counts, the allotment buffer and limits.
//
// One file describes the whole sale cluster and is the same on every host;
// host-specific addresses (Redis, sockets, paths) are command-line flags.
// Optional "[host NAME]" sections name the front hosts (address = IPv4) and
// each node says which one runs its pool (host = NAME): every front renders
// its nginx from the same file, with its own nodes only (scripts/topology,
// docs/deploy.md). Without hosts, one host runs every node (scripts/stack).
// Format: INI-like, "# comment", "[sale]", "[identity]", "[node NAME]" and
// "[host NAME]" sections, "key = value" lines; a section may appear again (the
// local stack appends its own [identity] lines to a copy: a later value wins,
// keys add up). Immutable after Load: safe to share between threads.
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
  std::string host;   // the front host running the pool; "" when the config names no hosts
};

struct HostConfig {
  std::string name;     // a valid id (ids.h)
  std::string address;  // the host's IPv4 address, dotted quad: where the balancers reach its nginx
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
  std::vector<HostConfig> hosts;       // empty: every node on one host
  int buffer_percent = 15;             // each node's allotment = its share + this % of the stock
  std::string default_event = "default";  // the event sold by /buy/ticket
  int max_body_bytes = 4096;           // largest request body a worker reads
  int rate_per_second = 0;             // nginx limit_req per client address (0 = off)
  int rate_burst = 20;                 // nginx limit_req burst
  int connections_per_address = 0;     // nginx limit_conn per client address (0 = off)
  int cancel_limit = 5;                // cancellations one user may make per event (0 = no cap), cancel.lua
  int64_t default_event_tickets = 0;   // scripts/stack creates default_event with this many (0 = not)
  IdentityConfig identity;             // [identity]

  // Parses the file at `path`. Returns Invalid with "path:line: reason".
  static Status Load(const std::string& path, ClusterConfig* out);
  static Status Parse(const std::string& text, const std::string& origin, ClusterConfig* out);

  // Returns the node called `name`, or nullptr.
  const NodeConfig* Find(const std::string& name) const;
  int TotalWeight() const;

  // Returns the host called `name`, or nullptr.
  const HostConfig* FindHost(const std::string& name) const;
  // Returns the nodes host `name` runs, in file order (none for an unknown host).
  std::vector<const NodeConfig*> NodesOf(const std::string& name) const;
  // Returns the sum of the weights of host `name`'s nodes: its share of the
  // balancers' connections.
  int HostWeight(const std::string& name) const;

  // Returns how many of `total` tickets node `name` may sell: its weighted
  // share (rounded up) plus buffer_percent of the total, at most the total.
  // The allotments add up to more than the total on purpose: the other nodes
  // can sell what a dead node cannot. Returns 0 for an unknown node.
  int64_t Allotment(const std::string& name, int64_t total) const;
};

}  // namespace seckill
