// lua_scripts.h — the Lua scripts of lua/, embedded at build time by
// scripts/embed-lua (each one prefixed by lua/lib.lua). Immutable data.
#pragma once
#include <cstddef>
#include <string_view>

namespace seckill {

struct LuaScript {
  const char* name;    // file name without .lua
  const char* source;  // lib.lua + the script
};

extern const LuaScript kLuaScripts[];
extern const size_t kLuaScriptCount;

// Returns the script called `name`, or nullptr.
inline const LuaScript* FindLuaScript(std::string_view name) {
  for (size_t i = 0; i < kLuaScriptCount; i++)
    if (name == kLuaScripts[i].name) return &kLuaScripts[i];
  return nullptr;
}

}  // namespace seckill
