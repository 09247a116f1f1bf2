// redis_slot.h — where Redis Cluster puts a key: the CRC16 (XMODEM) of its
// hash tag modulo 16384, and which argument of a command is its first key.
// Pure functions on plain values; safe to share between threads.
//
// The hash tag is the part of the key between the first '{' and the first
// '}' after it, when that part is not empty; otherwise the whole key
// (https://redis.io/docs/reference/cluster-spec/#hash-tags). Every key of
// an event carries {event} (common/keys.h), so one event is one slot.
#pragma once
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace seckill {

inline constexpr int kClusterSlots = 16384;

// CRC16-XMODEM (polynomial 0x1021, initial value 0), as Redis Cluster computes it.
uint16_t Crc16(std::string_view data);

// The part of `key` that decides its slot (its hash tag, or the whole key).
std::string_view HashTag(std::string_view key);

// The slot of `key`: Crc16(HashTag(key)) mod 16384; what CLUSTER KEYSLOT answers.
int KeySlot(std::string_view key);

// The index in `argv` of the command's first key, or -1 for a command that
// names no key (PING, INFO, TIME, SCRIPT, WAIT, CLUSTER, EVALSHA with
// numkeys 0, ...). Knows the commands this project sends: EVAL/EVALSHA
// (argv[3] when numkeys > 0: a script is routed by its first key, never by
// its SHA), XREADGROUP/XREAD (the first key after STREAMS), XINFO and XGROUP
// (argv[2]); every other command's first key is argv[1].
int FirstKeyIndex(const std::vector<std::string>& argv);

}  // namespace seckill
