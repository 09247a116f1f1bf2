#include "fcgi/opening_flag.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <climits>
#include <cstdio>
#include <cstring>
#include <thread>

#include "common/clock.h"
#include "common/ids.h"
#include "common/keys.h"
#include "fcgi/watcher_thread.h"

namespace seckill {

namespace {

// Sleeps until `wall_ms` by the host's clock (CLOCK_REALTIME, absolute: the
// wake-up is the instant itself, not a tick after it).
void SleepUntilWall(int64_t wall_ms) {
  struct timespec ts;
  ts.tv_sec = static_cast<time_t>(wall_ms / 1000);
  ts.tv_nsec = static_cast<long>((wall_ms % 1000) * 1000000);
  while (clock_nanosleep(CLOCK_REALTIME, TIMER_ABSTIME, &ts, nullptr) == EINTR) {
  }
}

// The events that open later than a minute before the host's clock (the
// margin covers the offset between the clocks), with their scores.
constexpr int64_t kClockMarginMs = 60000;

}  // namespace

Response NotOpenResponse(int64_t opens_at_ms) {
  return JsonResponse(425, {{"error", "not_open"}, {"opens_at", opens_at_ms / 1000.0}});
}

Status OpeningFlags::Raise(const std::string& event, int64_t opens_at_ms) const {
  // nginx reads the flags, often as another user than the workers (deploy/:
  // www-data, a member of the sold-out directory's group only): the modes
  // are set whatever the umask (the units' 0027), the content is public.
  if (mkdir(dir_.c_str(), 0755) == 0) {
    chmod(dir_.c_str(), 0755);
  } else if (errno != EEXIST) {
    return Status::Internal("mkdir " + dir_ + ": " + strerror(errno));
  }
  // Written beside the directory (a dotfile: never an event id, never served)
  // and renamed into it.
  std::string tmp = parent_ + "/.opening-" + event + ".tmp";
  std::string body = NotOpenResponse(opens_at_ms).body;
  int fd = open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) return Status::Internal("open " + tmp + ": " + strerror(errno));
  bool ok = fchmod(fd, 0644) == 0;
  ok = write(fd, body.data(), body.size()) == static_cast<ssize_t>(body.size()) && ok;
  ok = close(fd) == 0 && ok;
  if (!ok || rename(tmp.c_str(), Path(event).c_str()) != 0) {
    unlink(tmp.c_str());
    return Status::Internal("cannot write the not-open flag of " + event);
  }
  return Status::Ok();
}

void OpeningFlags::Lower(const std::string& event) const { unlink(Path(event).c_str()); }

std::vector<std::string> OpeningFlags::Flagged() const {
  std::vector<std::string> events;
  DIR* d = opendir(dir_.c_str());
  if (!d) return events;
  while (struct dirent* e = readdir(d)) {
    if (IsValidId(e->d_name)) events.emplace_back(e->d_name);
  }
  closedir(d);
  return events;
}

Status OpeningFlags::Sync(RedisClient* redis, std::map<std::string, int64_t>* written,
                          std::map<std::string, int64_t>* upcoming, int64_t* offset_ms) const {
  int64_t before = WallMillis();
  Status st;
  std::vector<Reply> r = redis->Pipeline(
      {{"TIME"}, {"ZRANGEBYSCORE", kOpeningSetKey, std::to_string(before - kClockMarginMs), "+inf", "WITHSCORES"}}, &st);
  int64_t after = WallMillis();
  if (!st.ok()) return st;
  if (r.size() != 2 || r[0]->type != REDIS_REPLY_ARRAY || r[0]->elements != 2 || r[1]->type != REDIS_REPLY_ARRAY)
    return Status::Unavailable("TIME / ZRANGEBYSCORE: unexpected reply");
  int64_t redis_ms = atoll(r[0]->element[0]->str) * 1000 + atoll(r[0]->element[1]->str) / 1000;
  *offset_ms = redis_ms - (before + after) / 2;
  upcoming->clear();
  for (size_t i = 0; i + 1 < r[1]->elements; i += 2) {
    const redisReply* id = r[1]->element[i];
    const redisReply* score = r[1]->element[i + 1];
    if (id->type != REDIS_REPLY_STRING || score->type != REDIS_REPLY_STRING || !IsValidId(id->str)) continue;
    int64_t opens = atoll(score->str);
    if (opens > redis_ms) (*upcoming)[id->str] = opens;
  }
  for (const auto& [event, opens] : *upcoming) {
    auto w = written->find(event);
    if (w != written->end() && w->second == opens && access(Path(event).c_str(), F_OK) == 0) continue;
    Status raised = Raise(event, opens);
    if (!raised.ok()) {
      fprintf(stderr, "seckill-worker %d: %s\n", getpid(), raised.message().c_str());
      continue;
    }
    (*written)[event] = opens;
    fprintf(stderr, "seckill-worker %d: event %s opens at %.3f: not-open flag raised\n", getpid(), event.c_str(),
            opens / 1000.0);
  }
  for (const std::string& event : Flagged()) {
    if (upcoming->count(event)) continue;
    Lower(event);  // opened, or no longer listed
    written->erase(event);
  }
  return Status::Ok();
}

void OpeningFlags::StartWatcher(const RedisAddress& address, int pass_ms) const {
  OpeningFlags copy = *this;
  StartWatcherThread([copy, address, pass_ms] {
    int lock = open((copy.parent_ + "/" + kWatcherLock).c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    bool holder = false;
    RedisClient redis(address, 1000);
    std::map<std::string, int64_t> written, upcoming;
    int64_t offset_ms = 0, next_pass = 0;
    for (;;) {
      // Waits for the lock: when the holder dies (the kernel drops its
      // flock), one waiting process takes over at once, not a pass later, so
      // an opening due meanwhile is late by one Sync at most.
      if (!holder && lock >= 0) holder = flock(lock, LOCK_EX) == 0;
      if (!holder) {
        std::this_thread::sleep_for(std::chrono::milliseconds(pass_ms));
        continue;
      }
      if (WallMillis() >= next_pass) {
        std::map<std::string, int64_t> fresh;
        int64_t offset = 0;
        if (copy.Sync(&redis, &written, &fresh, &offset).ok()) {
          upcoming.swap(fresh);
          offset_ms = offset;
        }
        next_pass = WallMillis() + pass_ms;
      }
      // Open what is due, by Redis's clock; then sleep until the next pass
      // or the next opening, whichever comes first.
      int64_t redis_now = WallMillis() + offset_ms, next_open = LLONG_MAX;
      for (auto it = upcoming.begin(); it != upcoming.end();) {
        if (it->second > redis_now) {
          next_open = std::min(next_open, it->second);
          ++it;
          continue;
        }
        copy.Lower(it->first);
        written.erase(it->first);
        fprintf(stderr, "seckill-worker %d: event %s opened: not-open flag lowered %lld ms after its opening time\n",
                getpid(), it->first.c_str(), static_cast<long long>(WallMillis() + offset_ms - it->second));
        it = upcoming.erase(it);
      }
      SleepUntilWall(next_open == LLONG_MAX ? next_pass : std::min(next_pass, next_open - offset_ms));
    }
  });
}

}  // namespace seckill
