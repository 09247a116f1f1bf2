// script_call.h — one call of a project Lua script, as the generated protocol
// (build/gen/lua_protocol.h, from lua/protocol.json by scripts/protocol-gen)
// builds it and RedisClient::Eval sends it, and the helpers its generated
// reply decoders use. Plain values; safe to copy between threads.
#pragma once
#include <hiredis/hiredis.h>

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "common/status.h"

namespace seckill {

// The embedded scripts, in the order of lua/protocol.json (generated): each
// is its generated preamble, lua/lib.lua and lua/<name>.lua.
struct LuaScript {
  const char* name;    // file name without .lua
  const char* source;  // what SCRIPT LOAD sends
  const char* sha1;    // SHA1 of source, lowercase hex: what EVALSHA names (computed at build time)
};
extern const LuaScript kLuaScripts[];
extern const size_t kLuaScriptCount;

// An ARGV that the client fills in at each send with the run_id (INFO
// server) of the server the script reaches: after a reconnect it is the new
// server's, never the lost one's. Written at the call site, so the reader sees
// that the script checks the event's verified_run against it (keys.h).
enum class ServerRunId { kOfConnection };

struct ScriptCall {
  size_t script = 0;              // index into kLuaScripts
  std::vector<std::string> argv;  // "EVALSHA", sha (filled by the client), numkeys, KEYS…, ARGV…
  size_t run_id_at = 0;           // index in argv of a ServerRunId ARGV; 0 when none
};

// --- reply decoding (for the generated decoders) --------------------------------
// A reply travels as an array {code, field, …} (lua/protocol.json). Each
// returns Internal, naming the script, when the reply is not of that shape.

// The code of `r`: an error reply or a reply that is not an array starting
// with an integer is Internal ("<script>.lua: <error text>").
Status ReplyCode(const redisReply* r, const char* script, int64_t* code);
// Field i (0-based, after the code) as an integer (integer or numeric string).
Status ReplyInt(const redisReply* r, size_t i, const char* script, int64_t* out);
// Field i as a string (a bulk string; an integer is written in decimal).
Status ReplyStr(const redisReply* r, size_t i, const char* script, std::string* out);

}  // namespace seckill
