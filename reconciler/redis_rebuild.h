// redis_rebuild.h — rebuilds events' Redis state from MySQL, after Redis lost
// its data (FLUSHALL, a fresh instance): `seckill-reconciler --rebuild-redis`.
//
// MySQL is the source of truth for every reconciled order, so an event's keys
// (common/keys.h) follow from its rows: ev:{E} from the events row plus
// sold = orders reserved or paid, returned:<node> = orders expired or
// cancelled that <node> sold, and the counts paid, expired, cancelled;
// ev:{E}:users, one ev:{E}:o:<order> hash per
// order (the fields lua/reserve.lua, pay.lua and lib.lua's release() write),
// ev:{E}:exp (the reserved orders, by expires-at), an empty ev:{E}:log with
// the reconciler's consumer group, and E in seckill:events. What was only in
// Redis (changes not yet reconciled) cannot come back.
//
// Order of the writes, so that the sale never opens on half an event and no
// release by an owner is counted twice:
//   1. clearing (with --force, or leftovers of a stopped rebuild): ev:{E}
//      first, which stops reservations (reserve.lua: no such event); the
//      hashes of the orders Redis lists (users, exp) and of every order of
//      MySQL; then ev:{E} again, users, exp and log;
//   2. the stream and its group (owners' changes to restored orders are
//      recorded from the start), the users (before the orders, so that a
//      cancellation finds its holding), then the order hashes and the expiry
//      index, in pipelined batches read page by page from MySQL;
//   3. ev:{E} last, atomically (lua/rebuild_event.lua), with verified_run
//      set to the run_id of the server the rebuild started on (keys.h):
//      until then pay.lua and cancel.lua refuse (503) the restored orders'
//      owners, so nothing changes under the rebuild (were Redis restarted
//      meanwhile, the event stays closed until the reconciler checks it);
//      then SADD seckill:events hands the event to the reconciler.
// A rebuild stopped half-way leaves no ev:{E}: run it again.
//
// Owns nothing: it uses the caller's RedisClient and OrderStore. Not
// thread-safe: nothing else may use them during a call (while Redis writes
// a page of orders, a helper thread reads MySQL's next page; it is joined
// before the call goes on).
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "common/redis_client.h"
#include "reconciler/order_store.h"

namespace seckill {

struct RebuildOptions {
  std::string event;   // only this event ("" for every event of MySQL)
  bool force = false;  // overwrite events that exist in Redis
  size_t batch = 5000; // orders (or holders) per MySQL page and Redis pipeline
};

struct RebuildStats {
  std::string event;
  int64_t total = 0;    // tickets on sale
  int64_t sold = 0;     // orders reserved or paid
  int64_t orders = 0;   // order hashes written
  int64_t pending = 0;  // reserved orders put in the expiry index
  int64_t paid = 0, expired = 0, cancelled = 0;  // orders in each final state
};

class RedisRebuild {
 public:
  RedisRebuild(RedisClient* redis, OrderStore* store, RebuildOptions options)
      : redis_(redis), store_(store), options_(std::move(options)) {}

  // Reads the events to rebuild from MySQL and checks that none exists in
  // Redis (unless force). Returns NotFound when options.event is not in
  // MySQL, Invalid (naming the events) when some exist in Redis. Writes
  // nothing.
  Status Plan(std::vector<EventRow>* events);

  // Rebuilds one event of Plan's list. REQUIRES: Plan returned Ok.
  Status Rebuild(const EventRow& event, RebuildStats* stats);

 private:
  Status Clear(const EventRow& event);
  Status WriteHolders(const EventRow& event);
  Status WriteOrders(const EventRow& event, RebuildStats* stats, std::vector<std::pair<std::string, int64_t>>* returned);
  // Puts the event on sale, verified for the Redis process `run_id`.
  Status Open(const EventRow& event, const RebuildStats& counts,
              const std::vector<std::pair<std::string, int64_t>>& returned, const std::string& run_id);
  Status Send(const std::vector<std::vector<std::string>>& commands, const char* what);

  RedisClient* redis_;
  OrderStore* store_;
  RebuildOptions options_;
};

}  // namespace seckill
