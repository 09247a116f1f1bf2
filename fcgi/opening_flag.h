// opening_flag.h — a front's memory that an event is not open yet: one file
// per event in the .opening/ subdirectory of the host's sold-out directory
// (var/run/soldout/.opening/<event>), holding the body of the 425 answer,
// which nginx tests with `if (-f …)` and serves itself (nginx/site.conf.in):
// the flood that arrives before the opening time never reaches a worker.
// (A subdirectory of the sold-out one, so every front that has the sold-out
// flags has these too; its dot keeps it apart from the event ids, ids.h.)
//
// The flags are the watcher's alone (StartWatcher): one process per host at
// a time (the holder of the lock file .opening.watcher, beside the flags)
//   1. each pass (every `pass_ms`) reads Redis's clock and the events that
//      open later (seckill:opening, keys.h), raises the flag of each one and
//      lowers every other flag (opened, or no longer listed);
//   2. between passes sleeps until the next pass or the next opening
//      instant, whichever comes first, and at an event's opening instant
//      (opens_at by Redis's clock, converted with the offset between Redis's
//      clock and the host's, measured each pass) lowers its flag: the front
//      opens within milliseconds of the time, not at the next pass.
// With Redis down the flags stay, and the openings already known still
// happen at their instant. Nothing else writes these flags: a worker that
// gets "not open" from reserve.lua (a front whose flag is missing, or a
// request in the milliseconds around the instant) raises nothing, so no
// flag can be raised again after its event opened. reserve.lua refuses by
// Redis's clock in any case: nothing is ever sold early.
//
// Functions are safe to call from any process or thread.
#pragma once
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "common/redis_client.h"
#include "fcgi/response.h"

namespace seckill {

// The answer to a reservation before the event opens: 425
// {"error":"not_open","opens_at":<Unix seconds, ms precision>}, the same from
// nginx (a flag's content) and from a worker.
Response NotOpenResponse(int64_t opens_at_ms);

class OpeningFlags {
 public:
  // `soldout_dir`: the host's sold-out directory (soldout_flag.h).
  explicit OpeningFlags(const std::string& soldout_dir)
      : parent_(soldout_dir), dir_(soldout_dir + "/" + kSubdir) {}

  // Writes the flag of `event` (its 425 body) atomically: nginx never reads
  // half a file. Returns Internal when the file cannot be written.
  Status Raise(const std::string& event, int64_t opens_at_ms) const;
  void Lower(const std::string& event) const;
  // The events flagged now.
  std::vector<std::string> Flagged() const;

  // One pass: reads Redis's clock and the events opening after it; raises
  // their flags (rewritten when `written` says a flag holds another time)
  // and lowers every other flag. Sets *upcoming (event -> opens_at ms, by
  // Redis's clock) and *offset_ms (Redis's clock minus this host's).
  // Unavailable when Redis cannot be asked: then nothing changes.
  Status Sync(RedisClient* redis, std::map<std::string, int64_t>* written, std::map<std::string, int64_t>* upcoming,
              int64_t* offset_ms) const;

  // Starts a detached thread that, once this process holds the host's
  // opening lock (waited for: another process takes over as soon as the
  // holder dies), syncs the flags every `pass_ms` and lowers
  // each one at its event's opening instant, with its own Redis connection
  // to `address`. Logs each opening on stderr with its lateness.
  void StartWatcher(const RedisAddress& address, int pass_ms) const;

  const std::string& dir() const { return dir_; }

 private:
  static constexpr const char* kSubdir = ".opening";
  static constexpr const char* kWatcherLock = ".opening.watcher";  // in the sold-out directory, beside .opening/
  std::string Path(const std::string& event) const { return dir_ + "/" + event; }
  std::string parent_;
  std::string dir_;
};

}  // namespace seckill
