// clock.h — wall-clock and monotonic time in milliseconds. Thread-safe.
#pragma once
#include <chrono>
#include <cstdint>

namespace seckill {

inline int64_t WallMillis() {
  using namespace std::chrono;
  return duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count();
}

inline int64_t MonoMillis() {
  using namespace std::chrono;
  return duration_cast<milliseconds>(steady_clock::now().time_since_epoch()).count();
}

}  // namespace seckill
