#include "fcgi/soldout_flag.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <thread>
#include <vector>

#include "common/ids.h"
#include "common/keys.h"

namespace seckill {

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
  *exists = r->element[0]->type == REDIS_REPLY_STRING;
  *has_stock = *exists && r->element[1]->type == REDIS_REPLY_STRING &&
               atoll(r->element[1]->str) < atoll(r->element[0]->str);
  return Status::Ok();
}

int SoldOutFlags::Sweep(RedisClient* redis) const {
  DIR* d = opendir(dir_.c_str());
  if (!d) return 0;
  std::vector<std::string> events;
  while (struct dirent* e = readdir(d)) {
    if (IsValidId(e->d_name) && e->d_name[0] != '.') events.emplace_back(e->d_name);
  }
  closedir(d);
  int lowered = 0;
  for (const auto& ev : events) {
    bool has_stock = false, exists = true;
    if (!ReadHasStock(redis, ev, &has_stock, &exists).ok()) break;  // Redis down: keep flags
    if (has_stock || !exists) {
      Lower(ev);
      lowered++;
    }
  }
  return lowered;
}

void SoldOutFlags::StartWatcher(const RedisAddress& address, int interval_ms) const {
  SoldOutFlags copy = *this;
  std::thread([copy, address, interval_ms] {
    RedisClient redis(address, 1000);
    for (;;) {
      copy.Sweep(&redis);
      std::this_thread::sleep_for(std::chrono::milliseconds(interval_ms));
    }
  }).detach();
}

}  // namespace seckill
