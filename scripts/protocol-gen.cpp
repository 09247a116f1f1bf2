// protocol-gen — generates both sides of the C++ <-> Lua protocol from one
// table, lua/protocol.json (its "about" says what it holds), as Redis 7
// generates its command table from src/commands/*.json:
//
//   protocol-gen LUA_DIR OUT_DIR   writes OUT_DIR/lua_protocol.h and .cpp
//
// The header has, per script, its argument struct, its reply struct (a code
// enum and named fields, never an index) and three functions: <Script>Call
// builds the EVALSHA, Decode<Script> reads its reply, <Script> does both over
// a RedisClient. The .cpp embeds every script as SCRIPT LOAD will send it,
// with the SHA1 that EVALSHA names it by (OpenSSL's, so that a client whose
// Redis user may not load scripts still knows their names): a
// generated preamble (its KEYS and ARGV as named locals, a constructor R_<name>
// per reply, the field names of common/keys.h as F_/E_ locals and the states
// of common/order_status.h as S_ locals), then lua/lib.lua, then the script.
// It refuses a script that spells one of those names as a literal, and a
// table whose entries contradict each other. A build tool: exits 1 with one
// line on stderr on any error; --help prints this usage.
#include <cctype>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <map>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>
#include <openssl/evp.h>

#include "common/keys.h"
#include "common/order_status.h"

namespace {

using nlohmann::json;

[[noreturn]] void Fail(const std::string& why) {
  std::cerr << "protocol-gen: " << why << "\n";
  exit(1);
}

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) Fail("cannot read " + path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

void WriteIfChanged(const std::string& path, const std::string& text) {
  std::ifstream in(path, std::ios::binary);
  if (in) {
    std::stringstream s;
    s << in.rdbuf();
    if (s.str() == text) return;  // unchanged: make does not rebuild what includes it
  }
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << text;
  if (!out) Fail("cannot write " + path);
}

// reserve_orders -> ReserveOrders; sold_out -> SoldOut
std::string Camel(const std::string& snake) {
  std::string out;
  bool up = true;
  for (char c : snake) {
    if (c == '_') {
      up = true;
    } else {
      out += up ? static_cast<char>(toupper(c)) : c;
      up = false;
    }
  }
  return out;
}

// kReturnedPrefix -> returned_prefix
std::string Snake(const std::string& constant) {
  std::string out;
  for (size_t i = 1; i < constant.size(); i++) {
    char c = constant[i];
    if (isupper(c)) {
      if (i > 1) out += '_';
      out += static_cast<char>(tolower(c));
    } else {
      out += c;
    }
  }
  return out;
}

bool IsIdent(const std::string& s) {
  if (s.empty() || !(islower(s[0]))) return false;
  for (char c : s)
    if (!(islower(c) || isdigit(c) || c == '_')) return false;
  return true;
}

struct Field {
  std::string name, type, doc;  // type: str, int, run_id
};

struct ReplyDef {
  std::string name, doc;
  int code = 0;
  std::vector<Field> fields;
};

struct Group {
  std::string name;
  std::string key;  // "" or "order"
  std::vector<Field> fields;
  bool present = false;
};

struct Script {
  std::string name, doc;
  std::vector<std::string> keys;
  std::vector<Field> args;
  Group group;
  std::vector<ReplyDef> replies;
};

std::vector<Field> ReadFields(const json& j, const std::string& where) {
  std::vector<Field> out;
  std::set<std::string> seen;
  for (const json& f : j) {
    Field x{f.at("name").get<std::string>(), f.at("type").get<std::string>(), f.value("doc", "")};
    if (!IsIdent(x.name)) Fail(where + ": bad name '" + x.name + "'");
    if (x.type != "str" && x.type != "int" && x.type != "run_id") Fail(where + ": " + x.name + ": unknown type " + x.type);
    if (!seen.insert(x.name).second) Fail(where + ": " + x.name + " twice");
    out.push_back(x);
  }
  return out;
}

std::vector<Script> ReadTable(const json& t) {
  std::map<std::string, ReplyDef> shared;
  for (auto& [name, r] : t.at("shared_replies").items()) shared[name] = ReplyDef{name, r.value("doc", ""), r.at("code").get<int>(), {}};
  std::vector<Script> out;
  std::set<std::string> names;
  for (const json& s : t.at("scripts")) {
    Script x;
    x.name = s.at("name").get<std::string>();
    if (!IsIdent(x.name) || !names.insert(x.name).second) Fail("bad or repeated script name '" + x.name + "'");
    x.doc = s.value("doc", "");
    std::set<std::string> key_names;
    for (const json& k : s.at("keys")) {
      std::string key = k.get<std::string>();
      if (key != "meta" && key != "users" && key != "expiry" && key != "log" && key != "cancels" && key != "order")
        Fail(x.name + ": unknown key '" + key + "'");
      if (!key_names.insert(key).second) Fail(x.name + ": key " + key + " twice");
      x.keys.push_back(key);
    }
    x.args = ReadFields(s.at("args"), x.name + " args");
    bool has_order_id = false;
    for (const Field& a : x.args) has_order_id |= a.name == "order_id";
    if (key_names.count("order") && !has_order_id) Fail(x.name + ": key 'order' needs an arg 'order_id'");
    if (s.contains("group")) {
      const json& g = s.at("group");
      x.group.present = true;
      x.group.name = g.at("name").get<std::string>();
      x.group.key = g.value("key", "");
      x.group.fields = ReadFields(g.at("fields"), x.name + " group");
      if (!x.group.key.empty() && x.group.key != "order") Fail(x.name + ": a group's key can only be 'order'");
      for (const Field& f : x.group.fields)
        if (f.type == "run_id") Fail(x.name + ": a group field cannot be a run_id");
    }
    std::set<int> codes;
    std::map<std::string, std::string> field_types;
    for (const json& r : s.at("replies")) {
      ReplyDef d;
      if (r.is_string()) {
        auto it = shared.find(r.get<std::string>());
        if (it == shared.end()) Fail(x.name + ": no shared reply " + r.get<std::string>());
        d = it->second;
      } else {
        d = ReplyDef{r.at("name").get<std::string>(), r.value("doc", ""), r.at("code").get<int>(),
                     ReadFields(r.value("fields", json::array()), x.name + " reply")};
      }
      if (!IsIdent(d.name)) Fail(x.name + ": bad reply name '" + d.name + "'");
      if (!codes.insert(d.code).second) Fail(x.name + ": reply code " + std::to_string(d.code) + " twice");
      for (const Field& f : d.fields) {
        if (f.type == "run_id") Fail(x.name + ": a reply field cannot be a run_id");
        auto [it, fresh] = field_types.emplace(f.name, f.type);
        if (!fresh && it->second != f.type) Fail(x.name + ": reply field " + f.name + " has two types");
        if (f.name == "code") Fail(x.name + ": a reply field cannot be called code");
      }
      x.replies.push_back(d);
    }
    for (const ReplyDef& a : x.replies)
      for (const ReplyDef& b : x.replies)
        if (&a != &b && a.name == b.name) Fail(x.name + ": reply " + a.name + " twice");
    out.push_back(x);
  }
  return out;
}

// --- the names every script gets -----------------------------------------------

struct Name {
  std::string lua, value;
};

std::vector<Name> Names() {
  std::vector<Name> n;
#define SECKILL_NAME_F(constant, name, doc) n.push_back({"F_" + Snake(#constant), name});
  SECKILL_EVENT_FIELDS(SECKILL_NAME_F)
  SECKILL_ORDER_FIELDS(SECKILL_NAME_F)
#undef SECKILL_NAME_F
#define SECKILL_NAME_E(constant, name, doc) n.push_back({"E_" + Snake(#constant).substr(6), name});
  SECKILL_ENTRY_FIELDS(SECKILL_NAME_E)
#undef SECKILL_NAME_E
#define SECKILL_NAME_S(constant, name) n.push_back({std::string("S_") + name, name});
  SECKILL_ORDER_STATES(SECKILL_NAME_S)
#undef SECKILL_NAME_S
  return n;
}

// The single-quoted and double-quoted literals of a Lua source (comments skipped).
std::vector<std::string> Literals(const std::string& src) {
  std::vector<std::string> out;
  for (size_t i = 0; i < src.size(); i++) {
    if (src.compare(i, 2, "--") == 0) {
      while (i < src.size() && src[i] != '\n') i++;
      continue;
    }
    if (src[i] == '\'' || src[i] == '"') {
      char q = src[i];
      std::string lit;
      for (i++; i < src.size() && src[i] != q; i++) {
        if (src[i] == '\\' && i + 1 < src.size()) i++;
        lit += src[i];
      }
      out.push_back(lit);
    }
  }
  return out;
}

void CheckLiterals(const std::string& file, const std::string& src, const std::vector<Name>& names) {
  for (const std::string& lit : Literals(src))
    for (const Name& n : names)
      if (lit == n.value) Fail(file + ": the literal '" + lit + "' is a name of the protocol: use " + n.lua);
}

std::string LuaList(const std::vector<std::string>& v) {
  std::string s;
  for (size_t i = 0; i < v.size(); i++) s += (i ? ", " : "") + v[i];
  return s;
}

// Whether the Lua text `code` uses the identifier `id` (as a whole word).
bool Uses(const std::string& code, const std::string& id) {
  for (size_t at = code.find(id); at != std::string::npos; at = code.find(id, at + 1)) {
    auto word = [](char c) { return isalnum(static_cast<unsigned char>(c)) || c == '_'; };
    bool before = at > 0 && word(code[at - 1]);
    bool after = at + id.size() < code.size() && word(code[at + id.size()]);
    if (!before && !after) return true;
  }
  return false;
}

// `code` is lib.lua and the script: only the names it uses are declared (a
// script runs its whole chunk on every call: each local costs a little).
std::string Preamble(const Script& s, const std::vector<Name>& names, const std::string& code) {
  std::ostringstream o;
  o << "-- " << s.name << ".lua as SCRIPT LOAD sends it: this preamble, generated by scripts/protocol-gen\n"
    << "-- from lua/protocol.json, common/keys.h and common/order_status.h; then lua/lib.lua; then\n"
    << "-- lua/" << s.name << ".lua.\n";
  std::vector<std::string> lhs, rhs;
  for (const Name& n : names) {
    if (!Uses(code, n.lua)) continue;
    lhs.push_back(n.lua);
    rhs.push_back("'" + n.value + "'");
  }
  if (!lhs.empty()) o << "local " << LuaList(lhs) << " =\n  " << LuaList(rhs) << "\n";
  lhs.clear();
  rhs.clear();
  for (size_t i = 0; i < s.keys.size(); i++) {
    lhs.push_back("K_" + s.keys[i]);
    rhs.push_back("KEYS[" + std::to_string(i + 1) + "]");
  }
  size_t fixed_args = 0;
  for (const Field& a : s.args) {
    lhs.push_back("A_" + a.name);
    rhs.push_back("ARGV[" + std::to_string(++fixed_args) + "]");
  }
  if (!lhs.empty()) o << "local " << LuaList(lhs) << " = " << LuaList(rhs) << "\n";
  if (s.group.present) {
    const Group& g = s.group;
    size_t width = g.fields.size();
    if (width > 0)
      o << "local N_" << g.name << " = (#ARGV - " << fixed_args << ") / " << width << "  -- elements of the group\n";
    else
      o << "local N_" << g.name << " = #KEYS - " << s.keys.size() << "  -- elements of the group\n";
    std::vector<std::string> ret;
    if (!g.key.empty()) ret.push_back("KEYS[" + std::to_string(s.keys.size()) + " + i]");
    for (size_t f = 0; f < width; f++) ret.push_back("ARGV[b + " + std::to_string(f + 1) + "]");
    std::vector<std::string> what;
    if (!g.key.empty()) what.push_back("its " + g.key + " key");
    for (const Field& f : g.fields) what.push_back(f.name);
    o << "-- G_" << g.name << "(i): element i (from 1): " << LuaList(what) << "\n"
      << "local function G_" << g.name << "(i)\n"
      << "  local b = " << fixed_args << " + (i - 1) * " << width << "\n"
      << "  return " << LuaList(ret) << "\n"
      << "end\n";
  }
  for (const ReplyDef& r : s.replies) {
    std::vector<std::string> params, values = {std::to_string(r.code)};
    for (const Field& f : r.fields) {
      params.push_back(f.name);
      values.push_back(f.name);
    }
    o << "local function R_" << r.name << "(" << LuaList(params) << ") return {" << LuaList(values) << "} end\n";
  }
  return o.str();
}

// --- the C++ side -----------------------------------------------------------------

std::string CppType(const std::string& t) {
  if (t == "int") return "int64_t";
  if (t == "run_id") return "ServerRunId";
  return "std::string";
}

std::string CppArg(const std::string& expr, const std::string& t) {
  return t == "int" ? "std::to_string(" + expr + ")" : expr;
}

std::string KeyExpr(const std::string& key) {
  if (key == "order") return "keys.Order(args.order_id)";
  return "keys." + key;
}

// A C++ string literal of any text: raw strings cut at )SECKILL_LUA".
// The SHA1 of `text` in lowercase hex: the name Redis gives a script (SCRIPT LOAD).
std::string Sha1Hex(const std::string& text) {
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  if (EVP_Digest(text.data(), text.size(), md, &len, EVP_sha1(), nullptr) != 1) Fail("SHA1 failed (OpenSSL)");
  static const char* hex = "0123456789abcdef";
  std::string out;
  for (unsigned int i = 0; i < len; i++) {
    out += hex[md[i] >> 4];
    out += hex[md[i] & 15];
  }
  return out;
}

std::string RawLiteral(const std::string& text) {
  if (text.find(")SECKILL_LUA\"") != std::string::npos) Fail("a script contains )SECKILL_LUA\"");
  return "R\"SECKILL_LUA(" + text + ")SECKILL_LUA\"";
}

void Generate(const std::string& lua_dir, const std::string& out_dir, const std::string& dump_dir) {
  json table;
  try {
    table = json::parse(ReadFile(lua_dir + "/protocol.json"));
  } catch (const json::exception& e) {
    Fail(lua_dir + "/protocol.json: " + e.what());
  }
  std::vector<Script> scripts;
  try {
    scripts = ReadTable(table);
  } catch (const json::exception& e) {
    Fail(lua_dir + "/protocol.json: " + e.what());
  }
  const std::vector<Name> names = Names();
  const std::string lib = ReadFile(lua_dir + "/lib.lua");
  CheckLiterals(lua_dir + "/lib.lua", lib, names);

  std::ostringstream h, c;
  h << "// lua_protocol.h — generated by scripts/protocol-gen from lua/protocol.json. Do not edit.\n"
    << "// The typed calls of the project's Lua scripts: per script its arguments, its reply (a code\n"
    << "// and named fields) and the functions that build, decode and run it. Stateless functions;\n"
    << "// each uses only the RedisClient it is given.\n"
    << "#pragma once\n#include <cstdint>\n#include <string>\n#include <vector>\n\n"
    << "#include \"common/keys.h\"\n#include \"common/redis_client.h\"\n#include \"common/script_call.h\"\n\n"
    << "namespace seckill {\nnamespace lua {\n\n";

  c << "// lua_protocol.cpp — generated by scripts/protocol-gen from lua/protocol.json and lua/*.lua. Do not edit.\n"
    << "#include \"lua_protocol.h\"\n\nnamespace seckill {\n\n"
    << "const LuaScript kLuaScripts[] = {\n";
  for (const Script& s : scripts) {
    std::string file = lua_dir + "/" + s.name + ".lua";
    std::string body = ReadFile(file);
    CheckLiterals(file, body, names);
    const std::string source = Preamble(s, names, lib + body) + lib + body;
    c << "  {\"" << s.name << "\", " << RawLiteral(source) << ", \"" << Sha1Hex(source) << "\"},\n";
    if (!dump_dir.empty()) WriteIfChanged(dump_dir + "/" + s.name + ".lua", source);
  }
  c << "};\nconst size_t kLuaScriptCount = " << scripts.size() << ";\n\nnamespace lua {\n";

  for (size_t si = 0; si < scripts.size(); si++) {
    const Script& s = scripts[si];
    const std::string N = Camel(s.name);
    h << "// --- " << s.name << ".lua: " << s.doc << "\n";
    h << "// KEYS: " << (s.keys.empty() ? std::string("none") : LuaList(s.keys));
    if (s.group.present && !s.group.key.empty()) h << (s.keys.empty() ? ", " : ", then ") << "one " << s.group.key << " per element of " << s.group.name;
    h << "\n";
    std::string item = N + "Item";
    if (s.group.present) {
      h << "struct " << item << " {  // an element of " << s.group.name << "\n";
      bool has_order_id = false;
      for (const Field& f : s.group.fields) {
        h << "  " << CppType(f.type) << " " << f.name << (f.type == "int" ? " = 0" : "") << ";"
          << (f.doc.empty() ? "" : "  // " + f.doc) << "\n";
        has_order_id |= f.name == "order_id";
      }
      if (!s.group.key.empty() && !has_order_id) h << "  std::string order_id;  // names its key; not sent as ARGV\n";
      h << "};\n";
    }
    h << "struct " << N << "Args {\n";
    for (const Field& a : s.args)
      h << "  " << CppType(a.type) << " " << a.name << (a.type == "int" ? " = 0" : "") << ";"
        << (a.doc.empty() ? "" : "  // " + a.doc) << "\n";
    if (s.group.present) h << "  std::vector<" << item << "> " << s.group.name << ";\n";
    h << "};\n";
    h << "struct " << N << "Reply {\n  enum class Code {\n";
    for (const ReplyDef& r : s.replies)
      h << "    k" << Camel(r.name) << " = " << r.code << "," << (r.doc.empty() ? "" : "  // " + r.doc) << "\n";
    h << "  };\n  Code code = Code::k" << Camel(s.replies.at(0).name) << ";\n";
    std::map<std::string, std::pair<std::string, std::vector<std::string>>> fields;  // name -> type, replies
    std::vector<std::string> order;
    for (const ReplyDef& r : s.replies)
      for (const Field& f : r.fields) {
        if (!fields.count(f.name)) order.push_back(f.name);
        fields[f.name].first = f.type;
        fields[f.name].second.push_back(r.name);
      }
    for (const std::string& f : order)
      h << "  " << CppType(fields[f].first) << " " << f << (fields[f].first == "int" ? " = 0" : "") << ";  // "
        << LuaList(fields[f].second) << "\n";
    h << "};\n";
    h << "ScriptCall " << N << "Call(const EventKeys& keys, const " << N << "Args& args);\n"
      << "Status Decode" << N << "(const redisReply* r, " << N << "Reply* out);\n"
      << "// Unavailable when Redis cannot be reached; Internal for an error reply or a reply off the protocol.\n"
      << "Status " << N << "(RedisClient* redis, const EventKeys& keys, const " << N << "Args& args, " << N
      << "Reply* out);\n\n";

    // --- .cpp
    c << "\nScriptCall " << N << "Call(const EventKeys& keys, const " << N << "Args& args) {\n"
      << "  (void)keys;\n"
      << "  ScriptCall call;\n  call.script = " << si << ";\n"
      << "  std::vector<std::string>& v = call.argv;\n";
    std::string nkeys = std::to_string(s.keys.size());
    if (s.group.present && !s.group.key.empty()) nkeys += " + args." + s.group.name + ".size()";
    c << "  v.reserve(3 + " << s.keys.size() + s.args.size() << (s.group.present ? " + args." + s.group.name + ".size() * " + std::to_string(s.group.fields.size() + 1) : "") << ");\n"
      << "  v.emplace_back(\"EVALSHA\");\n  v.emplace_back();\n  v.push_back(std::to_string(" << nkeys << "));\n";
    for (const std::string& k : s.keys) c << "  v.push_back(" << KeyExpr(k) << ");\n";
    if (s.group.present && !s.group.key.empty())
      c << "  for (const auto& e : args." << s.group.name << ") v.push_back(keys.Order(e.order_id));\n";
    for (const Field& a : s.args) {
      if (a.type == "run_id") {
        c << "  (void)args." << a.name << ";  // ServerRunId::kOfConnection: filled in at each send\n"
          << "  call.run_id_at = v.size();\n  v.emplace_back();\n";
      } else {
        c << "  v.push_back(" << CppArg("args." + a.name, a.type) << ");\n";
      }
    }
    if (s.group.present && !s.group.fields.empty()) {
      c << "  for (const auto& e : args." << s.group.name << ") {\n";
      for (const Field& f : s.group.fields) c << "    v.push_back(" << CppArg("e." + f.name, f.type) << ");\n";
      c << "  }\n";
    }
    c << "  return call;\n}\n";

    c << "\nStatus Decode" << N << "(const redisReply* r, " << N << "Reply* out) {\n"
      << "  int64_t code = 0;\n  Status st = ReplyCode(r, \"" << s.name << "\", &code);\n  if (!st.ok()) return st;\n"
      << "  switch (code) {\n";
    for (const ReplyDef& r : s.replies) {
      c << "    case " << r.code << ":\n      out->code = " << N << "Reply::Code::k" << Camel(r.name) << ";\n";
      for (size_t i = 0; i < r.fields.size(); i++) {
        const Field& f = r.fields[i];
        c << "      if (!(st = Reply" << (f.type == "int" ? "Int" : "Str") << "(r, " << i << ", \"" << s.name
          << "\", &out->" << f.name << ")).ok()) return st;\n";
      }
      c << "      return Status::Ok();\n";
    }
    c << "  }\n  return Status::Internal(\"" << s.name << ".lua: unknown reply code \" + std::to_string(code));\n}\n";

    c << "\nStatus " << N << "(RedisClient* redis, const EventKeys& keys, const " << N << "Args& args, " << N
      << "Reply* out) {\n"
      << "  Status st;\n  Reply r = redis->Eval(" << N << "Call(keys, args), &st);\n"
      << "  return st.ok() ? Decode" << N << "(r.get(), out) : st;\n}\n";
  }
  h << "}  // namespace lua\n}  // namespace seckill\n";
  c << "\n}  // namespace lua\n}  // namespace seckill\n";
  WriteIfChanged(out_dir + "/lua_protocol.h", h.str());
  WriteIfChanged(out_dir + "/lua_protocol.cpp", c.str());
}

}  // namespace

int main(int argc, char** argv) {
  if (argc == 2 && (std::string(argv[1]) == "--help" || std::string(argv[1]) == "-h")) {
    std::cout << "usage: protocol-gen LUA_DIR OUT_DIR [SCRIPTS_DIR]\n"
                 "  reads LUA_DIR/protocol.json, LUA_DIR/lib.lua and LUA_DIR/<script>.lua;\n"
                 "  writes OUT_DIR/lua_protocol.h and OUT_DIR/lua_protocol.cpp, and with\n"
                 "  SCRIPTS_DIR each script as SCRIPT LOAD sends it (SCRIPTS_DIR/<script>.lua)\n";
    return 0;
  }
  if (argc != 3 && argc != 4) {
    std::cerr << "usage: protocol-gen LUA_DIR OUT_DIR [SCRIPTS_DIR]\n";
    return 2;
  }
  Generate(argv[1], argv[2], argc == 4 ? argv[3] : "");
  return 0;
}
