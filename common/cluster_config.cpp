#include "common/cluster_config.h"

#include <arpa/inet.h>

#include <fstream>
#include <sstream>

#include "common/ids.h"

namespace seckill {
namespace {

std::string Trim(const std::string& s) {
  size_t b = s.find_first_not_of(" \t\r");
  if (b == std::string::npos) return "";
  size_t e = s.find_last_not_of(" \t\r");
  return s.substr(b, e - b + 1);
}

bool ParseInt(const std::string& s, long lo, long hi, int* out) {
  if (s.empty()) return false;
  char* end = nullptr;
  long v = strtol(s.c_str(), &end, 10);
  if (*end != '\0' || v < lo || v > hi) return false;
  *out = static_cast<int>(v);
  return true;
}

// A dotted-quad IPv4 address (inet_pton: four decimal parts 0-255, no
// leading zeros).
bool IsIpv4(const std::string& s) {
  in_addr a;
  return inet_pton(AF_INET, s.c_str(), &a) == 1;
}

bool ParseBool(const std::string& s, bool* out) {
  if (s == "on" || s == "yes" || s == "true" || s == "1") *out = true;
  else if (s == "off" || s == "no" || s == "false" || s == "0") *out = false;
  else return false;
  return true;
}

// "key KID = ALG PATH" of [identity]: appends the key. Returns false (and
// sets *why) on a bad id, algorithm or a missing path.
bool ParseKey(const std::string& key, const std::string& value, std::vector<KeySpec>* keys, std::string* why) {
  KeySpec k;
  k.kid = Trim(key.substr(3));
  if (!IsValidId(k.kid)) { *why = "bad key id '" + k.kid + "'"; return false; }
  for (const KeySpec& other : *keys)
    if (other.kid == k.kid) { *why = "key '" + k.kid + "' defined twice"; return false; }
  size_t sp = value.find_first_of(" \t");
  std::string alg = value.substr(0, sp);
  if (!ParseTokenAlg(alg, &k.alg)) { *why = "key " + k.kid + ": unknown algorithm '" + alg + "' (ES256, RS256, HS256)"; return false; }
  k.path = sp == std::string::npos ? "" : Trim(value.substr(sp));
  if (k.path.empty()) { *why = "key " + k.kid + ": expected ALG PATH"; return false; }
  keys->push_back(std::move(k));
  return true;
}

}  // namespace

Status ClusterConfig::Load(const std::string& path, ClusterConfig* out) {
  std::ifstream in(path);
  if (!in) return Status::Invalid("cannot read cluster config " + path);
  std::stringstream ss;
  ss << in.rdbuf();
  Status st = Parse(ss.str(), path, out);
  if (!st.ok()) return st;
  // A key's relative path is relative to the config file's folder.
  size_t slash = path.rfind('/');
  std::string dir = slash == std::string::npos ? "." : path.substr(0, slash);
  for (KeySpec& k : out->identity.keys)
    if (!k.path.empty() && k.path[0] != '/') k.path = dir + "/" + k.path;
  return Status::Ok();
}

Status ClusterConfig::Parse(const std::string& text, const std::string& origin, ClusterConfig* out) {
  ClusterConfig c;
  std::istringstream in(text);
  std::string line, section;
  NodeConfig* node = nullptr;
  HostConfig* host = nullptr;
  std::vector<int> node_host_lines;  // where each node named its host, for the checks at the end
  int lineno = 0;
  auto fail = [&](const std::string& why) { return Status::Invalid(origin + ":" + std::to_string(lineno) + ": " + why); };
  while (std::getline(in, line)) {
    lineno++;
    size_t hash = line.find('#');
    if (hash != std::string::npos) line.resize(hash);
    line = Trim(line);
    if (line.empty()) continue;
    if (line.front() == '[') {
      if (line.back() != ']') return fail("unterminated section header");
      std::string head = Trim(line.substr(1, line.size() - 2));
      node = nullptr;
      host = nullptr;
      if (head == "sale") {
        section = "sale";
      } else if (head == "identity") {
        section = "identity";
      } else if (head.rfind("node ", 0) == 0) {
        std::string name = Trim(head.substr(5));
        if (!IsValidId(name)) return fail("bad node name '" + name + "'");
        if (c.Find(name)) return fail("node '" + name + "' defined twice");
        c.nodes.push_back(NodeConfig{name, 1, 2, ""});
        node = &c.nodes.back();
        node_host_lines.push_back(lineno);
        section = "node";
      } else if (head.rfind("host ", 0) == 0) {
        std::string name = Trim(head.substr(5));
        if (!IsValidId(name)) return fail("bad host name '" + name + "'");
        if (c.FindHost(name)) return fail("host '" + name + "' defined twice");
        c.hosts.push_back(HostConfig{name, ""});
        host = &c.hosts.back();
        section = "host";
      } else {
        return fail("unknown section [" + head + "]");
      }
      continue;
    }
    size_t eq = line.find('=');
    if (eq == std::string::npos) return fail("expected key = value");
    std::string key = Trim(line.substr(0, eq)), value = Trim(line.substr(eq + 1));
    bool ok = true;
    if (section == "node") {
      if (key == "weight") ok = ParseInt(value, 1, 1000, &node->weight);
      else if (key == "processes") ok = ParseInt(value, 1, 256, &node->processes);
      else if (key == "host") { ok = IsValidId(value); node->host = value; node_host_lines.back() = lineno; }
      else return fail("unknown node key '" + key + "'");
    } else if (section == "host") {
      if (key == "address") { ok = IsIpv4(value); host->address = value; }
      else return fail("unknown host key '" + key + "'");
    } else if (section == "sale") {
      if (key == "buffer_percent") ok = ParseInt(value, 0, 100, &c.buffer_percent);
      else if (key == "default_event") { ok = IsValidId(value); c.default_event = value; }
      else if (key == "max_body_bytes") ok = ParseInt(value, 64, 1 << 20, &c.max_body_bytes);
      else if (key == "rate_per_second") ok = ParseInt(value, 0, 1000000, &c.rate_per_second);
      else if (key == "rate_burst") ok = ParseInt(value, 0, 1000000, &c.rate_burst);
      else if (key == "connections_per_address") ok = ParseInt(value, 0, 1000000, &c.connections_per_address);
      else if (key == "cancel_limit") ok = ParseInt(value, 0, 1000000, &c.cancel_limit);
      else if (key == "default_event_tickets") {
        int n = 0;
        ok = ParseInt(value, 0, 1000000000, &n);
        c.default_event_tickets = n;
      }
      else return fail("unknown key '" + key + "'");
    } else if (section == "identity") {
      IdentityConfig& id = c.identity;
      std::string why;
      if (key.rfind("key ", 0) == 0) { if (!ParseKey(key, value, &id.keys, &why)) return fail(why); }
      else if (key == "leeway_seconds") ok = ParseInt(value, 0, 3600, &id.leeway_seconds);
      else if (key == "anonymous_buy_ticket") ok = ParseBool(value, &id.anonymous_buy_ticket);
      else if (key == "demo_sign_in") ok = ParseBool(value, &id.demo_sign_in);
      else return fail("unknown [identity] key '" + key + "'");
    } else {
      return fail("key outside a section");
    }
    if (!ok) return fail("bad value for " + key + ": '" + value + "'");
  }
  if (c.nodes.empty()) return Status::Invalid(origin + ": no [node NAME] section");
  // Hosts: all or nothing. Once the file names hosts, every node runs on a
  // named one, every host has an address and runs at least one node.
  for (size_t i = 0; i < c.nodes.size(); i++) {
    lineno = node_host_lines[i];
    const NodeConfig& n = c.nodes[i];
    if (c.hosts.empty() && !n.host.empty()) return fail("node '" + n.name + "' names host '" + n.host + "' but there is no [host] section");
    if (!c.hosts.empty() && n.host.empty()) return fail("node '" + n.name + "' names no host (host = NAME)");
    if (!n.host.empty() && !c.FindHost(n.host)) return fail("node '" + n.name + "': unknown host '" + n.host + "'");
  }
  for (const auto& h : c.hosts) {
    if (h.address.empty()) return Status::Invalid(origin + ": host '" + h.name + "' has no address");
    if (c.NodesOf(h.name).empty()) return Status::Invalid(origin + ": host '" + h.name + "' runs no node");
    for (const auto& other : c.hosts)
      if (&other != &h && other.address == h.address)
        return Status::Invalid(origin + ": hosts '" + h.name + "' and '" + other.name + "' share address " + h.address);
  }
  *out = std::move(c);
  return Status::Ok();
}

const NodeConfig* ClusterConfig::Find(const std::string& name) const {
  for (const auto& n : nodes)
    if (n.name == name) return &n;
  return nullptr;
}

int ClusterConfig::TotalWeight() const {
  int sum = 0;
  for (const auto& n : nodes) sum += n.weight;
  return sum;
}

const HostConfig* ClusterConfig::FindHost(const std::string& name) const {
  for (const auto& h : hosts)
    if (h.name == name) return &h;
  return nullptr;
}

std::vector<const NodeConfig*> ClusterConfig::NodesOf(const std::string& name) const {
  std::vector<const NodeConfig*> out;
  for (const auto& n : nodes)
    if (!name.empty() && n.host == name) out.push_back(&n);
  return out;
}

int ClusterConfig::HostWeight(const std::string& name) const {
  int sum = 0;
  for (const NodeConfig* n : NodesOf(name)) sum += n->weight;
  return sum;
}

int64_t ClusterConfig::Allotment(const std::string& name, int64_t total) const {
  const NodeConfig* n = Find(name);
  if (!n || total <= 0) return 0;
  int64_t w = TotalWeight();
  int64_t share = (total * n->weight + w - 1) / w;
  int64_t buffer = (total * buffer_percent + 99) / 100;
  int64_t a = share + buffer;
  return a < total ? a : total;
}

}  // namespace seckill
