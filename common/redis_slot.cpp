#include "common/redis_slot.h"

#include <strings.h>

#include <cstdlib>

namespace seckill {

uint16_t Crc16(std::string_view data) {
  uint16_t crc = 0;
  for (unsigned char c : data) {
    crc ^= static_cast<uint16_t>(c) << 8;
    for (int i = 0; i < 8; i++) crc = (crc & 0x8000) ? static_cast<uint16_t>((crc << 1) ^ 0x1021) : static_cast<uint16_t>(crc << 1);
  }
  return crc;
}

std::string_view HashTag(std::string_view key) {
  size_t open = key.find('{');
  if (open == std::string_view::npos) return key;
  size_t close = key.find('}', open + 1);
  if (close == std::string_view::npos || close == open + 1) return key;
  return key.substr(open + 1, close - open - 1);
}

int KeySlot(std::string_view key) { return Crc16(HashTag(key)) & (kClusterSlots - 1); }

int FirstKeyIndex(const std::vector<std::string>& argv) {
  if (argv.size() < 2) return -1;
  const char* cmd = argv[0].c_str();
  auto is = [cmd](const char* name) { return strcasecmp(cmd, name) == 0; };
  for (const char* keyless : {"PING", "INFO", "TIME", "SCRIPT", "WAIT", "CLUSTER", "ASKING", "AUTH", "HELLO",
                              "FLUSHALL", "FLUSHDB", "DBSIZE", "CONFIG", "ACL", "READONLY", "COMMAND", "SHUTDOWN"})
    if (is(keyless)) return -1;
  if (is("EVALSHA") || is("EVAL") || is("EVALSHA_RO") || is("EVAL_RO")) {
    return argv.size() > 3 && atoi(argv[2].c_str()) > 0 ? 3 : -1;
  }
  if (is("XREADGROUP") || is("XREAD")) {
    for (size_t i = 1; i + 1 < argv.size(); i++)
      if (strcasecmp(argv[i].c_str(), "STREAMS") == 0) return static_cast<int>(i + 1);
    return -1;
  }
  if (is("XINFO") || is("XGROUP") || is("OBJECT") || is("MEMORY")) return argv.size() > 2 ? 2 : -1;
  return 1;
}

}  // namespace seckill
