// reconciler.h — one reconciler run over every event: release expired
// reservations in Redis, then move every stream entry into MySQL in batches
// (read → merge → upsert in one transaction → commit → XACK), then trim the
// acknowledged entries, then make Redis agree with MySQL where a Redis crash
// lost writes; after a Redis restart an event sells again only once this run
// has checked it (repair.h). Order lifecycle and who performs each transition:
// docs/architecture.md.
//
// Crash safety: an entry is acknowledged only after its batch committed, so a
// run killed at any instant leaves it pending and the next run (same
// consumer name) writes it again; the upsert makes the replay a no-op.
// Not thread-safe: one Reconciler per process (it runs one reading thread
// of its own, on `reader`, while it writes to MySQL).
#pragma once
#include <cstdint>
#include <set>
#include <string>

#include "common/keys.h"
#include "common/redis_client.h"
#include "reconciler/event_stream.h"
#include "reconciler/order_change.h"
#include "reconciler/order_store.h"

namespace seckill {

struct ReconcileOptions {
  size_t batch = 1000;         // stream entries per MySQL transaction
  size_t release_batch = 64;   // orders per expire.lua call: a call blocks Redis, keep it short
  int64_t budget_ms = 50000;   // stop starting new batches after this long; each event
                               // gets a fair share of it (RunOnce)
  bool trim = true;            // XTRIM acknowledged entries
  bool release = true;         // release expired reservations
  int64_t final_ttl_s = 86400; // keep paid orders' hashes this long after they reach MySQL (0: forever)
  int64_t released_ttl_s = 60; // keep expired and cancelled orders' hashes this long after (0: forever)
};

struct RunStats {
  int64_t moved = 0;     // stream entries written to MySQL
  int64_t released = 0;  // reservations expired and given back
  int64_t restored = 0;  // orders MySQL held that Redis had lost, put back (repair.h)
  int64_t corrected = 0; // orders whose Redis status was behind MySQL's, moved on (repair.h)
  int64_t verified = 0;  // events checked against MySQL after a Redis restart and reopened
  int64_t lag_ms = 0;    // oldest entry left unacknowledged at the end
  int64_t events = 0;
  int64_t errors = 0;
  std::string error;     // the first error, one line
};

class Reconciler {
 public:
  // `reader` is a second connection to the same Redis: stream reads and
  // acknowledgements go through it, overlapped with the MySQL writes.
  Reconciler(RedisClient* redis, RedisClient* reader, OrderStore* store, ReconcileOptions options)
      : redis_(redis), reader_(reader), store_(store), options_(options) {}

  // The time budget of the next RunOnce.
  void set_budget_ms(int64_t budget_ms) { options_.budget_ms = budget_ms; }

  // One pass over every event of seckill:events. Stats are filled even when
  // it fails; the returned Status is the first error (Redis or MySQL).
  Status RunOnce(RunStats* stats);

 private:
  // Releases without a limit on their number (expiry.h).
  static constexpr int64_t kNoLimit = 1000000000;
  // The least time an event gets within a pass while the budget lasts.
  static constexpr int64_t kMinSliceMs = 50;

  struct Batch {  // a batch of stream entries, folded into rows
    std::vector<OrderChange> changes;
    std::vector<std::string> skipped;  // unparsable entries: acknowledged with the batch
    std::vector<OrderRow> rows;
    bool empty() const { return changes.empty() && skipped.empty(); }
  };

  // Sets (*verify)[i] to the run_id of the Redis process that holds event
  // ids[i] (its master on a cluster) when the event was not checked against
  // it (repair.h), "" for the others; (*unreachable)[i] when that server
  // could not be asked (then the first such error is returned).
  Status UnverifiedEvents(const std::vector<std::string>& ids, std::vector<std::string>* verify,
                          std::vector<bool>* unreachable);
  // One event's pass: its row, its changes moved (MoveChanges), Redis
  // checked against MySQL once drained (CheckAgainstMySql), the pass
  // published (PublishPass). A non-empty `verify_run` means this Redis
  // process was not yet checked for the event.
  Status ReconcileEvent(const std::string& event, int64_t deadline_ms, const std::string& verify_run, RunStats* stats);
  Status ReadBatch(EventStream* stream, Batch* b);
  // Moves the stream into MySQL from `batch` on, until drained (*drained)
  // or the deadline: write a batch in one transaction while the next is
  // read, acknowledge it after the commit, retire its finished orders,
  // trim the acknowledged entries.
  Status MoveChanges(EventStream* stream, Batch batch, int64_t deadline_ms, RunStats* stats, bool* drained);
  // Repairs Redis from MySQL (repair.h): fully when `verify_run` is set,
  // after which the event's verified_run becomes it and its expired
  // reservations are released; otherwise only if MySQL holds more tickets.
  Status CheckAgainstMySql(const EventKeys& keys, const std::string& verify_run, RunStats* stats);
  // Records the pass and its lag in ev:{E} for the operator page.
  Status PublishPass(EventStream* stream, RunStats* stats);
  // Gives the hashes of the orders `changes` finished a TTL (lua/retire.lua),
  // now that MySQL has them: Redis memory stays bounded over a long sale
  // (paid ones --final-ttl, expired and cancelled ones --released-ttl).
  Status Retire(const EventKeys& keys, const std::vector<OrderChange>& changes);
  RedisClient* redis_;
  RedisClient* reader_;
  OrderStore* store_;
  ReconcileOptions options_;
  std::set<std::string> looked_at_;  // events this process has written and compared once
};

}  // namespace seckill
