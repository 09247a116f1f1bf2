#include "fcgi/soldout_flag.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <map>
#include <thread>
#include <vector>

#include "common/ids.h"
#include "common/keys.h"
#include "fcgi/watcher_thread.h"

namespace seckill {

namespace {

// Whether an HMGET total, sold reply says the event has stock; *exists false
// for an unknown event.
bool HasStock(const redisReply* r, bool* exists) {
  *exists = r->type == REDIS_REPLY_ARRAY && r->elements == 2 && r->element[0]->type == REDIS_REPLY_STRING;
  return *exists && r->element[1]->type == REDIS_REPLY_STRING && atoll(r->element[1]->str) < atoll(r->element[0]->str);
}

}  // namespace

void SoldOutFlags::Raise(const std::string& event) const {
  int fd = open(Path(event).c_str(), O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
  if (fd >= 0) close(fd);
}

void SoldOutFlags::Lower(const std::string& event) const { unlink(Path(event).c_str()); }

Status ReadHasStock(RedisClient* redis, const std::string& event, bool* has_stock, bool* exists) {
  Status st;
  Reply r = redis->Command({"HMGET", EventKeys(event).meta, field::kTotal, field::kSold}, &st);
  if (!st.ok()) return st;
  if (r->type != REDIS_REPLY_ARRAY || r->elements != 2) return Status::Internal("HMGET: unexpected reply");
  *has_stock = HasStock(r.get(), exists);
  return Status::Ok();
}


int SoldOutFlags::Sweep(RedisClient* redis) const {
  DIR* d = opendir(dir_.c_str());
  if (!d) return 0;
  std::vector<std::string> events;
  while (struct dirent* e = readdir(d)) {
    if (IsValidId(e->d_name)) events.emplace_back(e->d_name);  // never a dotfile: ids do not start with a dot
  }
  closedir(d);
  if (events.empty()) return 0;
  // One pipelined round trip for every flagged event of the host; on a
  // Redis Cluster one per master, so that a shard down keeps only its own
  // events' flags (the others' are lowered as their stock comes back).
  std::map<std::string, std::vector<size_t>> by_node;
  for (size_t i = 0; i < events.size(); i++) by_node[redis->NodeOf(EventKeys(events[i]).meta)].push_back(i);
  int lowered = 0;
  for (const auto& [node, members] : by_node) {
    std::vector<std::vector<std::string>> ask;
    ask.reserve(members.size());
    for (size_t i : members) ask.push_back({"HMGET", EventKeys(events[i]).meta, field::kTotal, field::kSold});
    Status st;
    std::vector<Reply> replies = redis->Pipeline(ask, &st);
    if (!st.ok() || replies.size() != members.size()) continue;  // Redis (that shard) down: keep the flags
    for (size_t k = 0; k < members.size(); k++) {
      bool exists = true;
      if (HasStock(replies[k].get(), &exists) || !exists) {  // stock back, or the event is gone: forget it
        Lower(events[members[k]]);
        lowered++;
      }
    }
  }
  return lowered;
}

void SoldOutFlags::StartWatcher(const RedisAddress& address, int interval_ms) const {
  SoldOutFlags copy = *this;
  StartWatcherThread([copy, address, interval_ms] {
    // One watcher per host: the process holding the lock file sweeps; the
    // others try again each tick and take over when it dies (the kernel
    // drops a dead process's flock).
    int lock = open((copy.dir_ + "/" + kWatcherLock).c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    bool holder = false;
    RedisClient redis(address, 1000);
    for (;;) {
      if (!holder && lock >= 0) holder = flock(lock, LOCK_EX | LOCK_NB) == 0;
      if (holder) copy.Sweep(&redis);
      std::this_thread::sleep_for(std::chrono::milliseconds(interval_ms));
    }
  });
}

}  // namespace seckill
