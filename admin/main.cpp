// seckill-admin — operator commands: create events, print the cluster config
// for the scripts. Exits 0 on success, 1 on failure (one line on stderr),
// 2 on bad usage.
#include <unistd.h>

#include <cstdio>
#include <cstring>
#include <ctime>
#include <fstream>
#include <iostream>
#include <string>
#include <thread>
#include <vector>

#include <cxxopts.hpp>

#include "admin/bench_fill.h"
#include "admin/event_admin.h"
#include "admin/token_admin.h"
#include "common/cluster_config.h"
#include "common/ids.h"
#include "common/redis_client.h"
#include "common/token_mint.h"
#include "common/version.h"

using namespace seckill;

namespace {

const char kUsage[] =
    "usage: seckill-admin COMMAND [options]\n"
    "\n"
    "commands:\n"
    "  create-event   put an event on sale (Redis + this host's node counters)\n"
    "  fill           make many reservations of an event directly in Redis (benchmarks)\n"
    "  nodes          print the cluster config's nodes: NAME WEIGHT PROCESSES (--host NAME: that host's)\n"
    "  hosts          print the cluster config's front hosts: NAME ADDRESS WEIGHT NODES (comma-separated)\n"
    "  sale-setting   print one [sale] or [identity] setting of the cluster config (KEY)\n"
    "  keygen         make the key pair that signs buyers' tokens (the local stack's sign-in key)\n"
    "  token          mint buyers' tokens (JWT), one a line: for load runs and tests\n"
    "\n"
    "Run 'seckill-admin COMMAND --help' for a command's options.\n"
    "\n"
    "options:\n"
    "  -h, --help     show this help\n"
    "      --version  print the version and exit\n";

int Fail(const std::string& why) {
  fprintf(stderr, "seckill-admin: %s\n", why.c_str());
  return 1;
}

// Reads --redis and --redis-password-file into *addr. Returns false (after
// printing why) when the password file cannot be read or the address is bad.
bool ReadRedisOptions(const cxxopts::ParseResult& a, RedisAddress* addr) {
  std::string pwfile = a["redis-password-file"].as<std::string>();
  if (!pwfile.empty()) {
    std::ifstream in(pwfile);
    if (!std::getline(in, addr->password)) {
      Fail("cannot read " + pwfile);
      return false;
    }
  }
  Status st = RedisAddress::Parse(a["redis"].as<std::string>(), addr);
  if (!st.ok()) Fail(st.message());
  return st.ok();
}

int CreateEventCommand(int argc, char** argv) {
  cxxopts::Options opts("seckill-admin create-event", "Put an event on sale: its stock in Redis, its allotments in the node counters.");
  opts.add_options()
      ("event", std::string("event id (") + kIdRule + ")", cxxopts::value<std::string>())
      ("tickets", "tickets on sale", cxxopts::value<int64_t>())
      ("limit", "tickets one user may hold", cxxopts::value<int64_t>()->default_value("1"))
      ("window", "payment window in seconds", cxxopts::value<int64_t>()->default_value("900"))
      ("price", "price in cents", cxxopts::value<int64_t>()->default_value("0"))
      ("opens-at", "when reservations open: Unix seconds or ISO-8601 (2026-11-28T10:00:00Z); default: at once",
       cxxopts::value<std::string>()->default_value(""))
      ("closes-at", "when reservations close (same forms); default: never", cxxopts::value<std::string>()->default_value(""))
      ("redis", "Redis address: unix:/path or host:port", cxxopts::value<std::string>()->default_value("127.0.0.1:6379"))
      ("redis-password-file", "file holding the Redis password", cxxopts::value<std::string>()->default_value(""))
      ("cluster", "cluster config file", cxxopts::value<std::string>()->default_value("etc/cluster.conf"))
      ("sqlite-dir", "directory of this host's node counter files (<node>.sqlite); empty: skip", cxxopts::value<std::string>()->default_value(""))
      ("h,help", "show this help");
  EventSpec spec;
  RedisAddress addr;
  std::string cluster_path, sqlite_dir;
  try {
    auto a = opts.parse(argc, argv);
    if (a.count("help")) {
      printf("%s\n", opts.help().c_str());
      return 0;
    }
    if (!a.count("event") || !a.count("tickets")) {
      fprintf(stderr, "seckill-admin create-event: --event and --tickets are required\n");
      return 2;
    }
    spec.id = a["event"].as<std::string>();
    spec.tickets = a["tickets"].as<int64_t>();
    spec.limit = a["limit"].as<int64_t>();
    spec.window_s = a["window"].as<int64_t>();
    spec.price_cents = a["price"].as<int64_t>();
    for (const char* name : {"opens-at", "closes-at"}) {
      std::string text = a[name].as<std::string>();
      if (text.empty()) continue;
      Status parsed = ParseInstant(text, name[0] == 'o' ? &spec.opens_at_ms : &spec.closes_at_ms);
      if (!parsed.ok()) {
        fprintf(stderr, "seckill-admin create-event: --%s: %s\n", name, parsed.message().c_str());
        return 2;
      }
    }
    cluster_path = a["cluster"].as<std::string>();
    sqlite_dir = a["sqlite-dir"].as<std::string>();
    if (!ReadRedisOptions(a, &addr)) return 1;
  } catch (const std::exception& e) {
    fprintf(stderr, "seckill-admin create-event: %s\n", e.what());
    return 2;
  }
  Status st = ValidateEventSpec(spec);
  if (!st.ok()) return Fail(st.message());
  ClusterConfig cluster;
  st = ClusterConfig::Load(cluster_path, &cluster);
  if (!st.ok()) return Fail(st.message());
  RedisClient redis(addr, 5000);
  int64_t created_at_ms = 0;
  st = CreateEvent(&redis, spec, &created_at_ms);
  if (!st.ok()) return Fail(st.message());
  // The workers only call the scripts (their Redis user may not load them):
  // the event sells from now on, before the reconciler's next pass.
  size_t loaded = 0;
  st = redis.LoadScripts(&loaded);
  if (!st.ok()) return Fail(st.message());
  if (!sqlite_dir.empty()) {
    st = PreloadNodeCounters(cluster, sqlite_dir, spec, created_at_ms);
    if (!st.ok()) return Fail(st.message());
  }
  printf("event %s: %lld tickets, limit %lld per user, %lld s to pay\n", spec.id.c_str(),
         static_cast<long long>(spec.tickets), static_cast<long long>(spec.limit), static_cast<long long>(spec.window_s));
  if (spec.opens_at_ms > 0) printf("  opens at %.3f (Unix seconds)\n", spec.opens_at_ms / 1000.0);
  if (spec.closes_at_ms > 0) printf("  closes at %.3f (Unix seconds)\n", spec.closes_at_ms / 1000.0);
  for (const auto& n : cluster.nodes)
    printf("  node %-8s weight %d  allotment %lld\n", n.name.c_str(), n.weight,
           static_cast<long long>(cluster.Allotment(n.name, spec.tickets)));
  return 0;
}

int FillCommand(int argc, char** argv) {
  cxxopts::Options opts("seckill-admin fill",
                        "Make COUNT reservations of an existing event directly in Redis, through reserve.lua, as fast "
                        "as Redis takes them (users f1.., nodes n1-n4 in turn): the benchmark's way to give an event "
                        "a history. Not for a live sale.");
  opts.add_options()
      ("event", "event id", cxxopts::value<std::string>())
      ("count", "reservations to make", cxxopts::value<int64_t>())
      ("redis", "Redis address: unix:/path or host:port", cxxopts::value<std::string>()->default_value("127.0.0.1:6379"))
      ("redis-password-file", "file holding the Redis password", cxxopts::value<std::string>()->default_value(""))
      ("h,help", "show this help");
  std::string event;
  int64_t count = 0;
  RedisAddress addr;
  try {
    auto a = opts.parse(argc, argv);
    if (a.count("help")) {
      printf("%s\n", opts.help().c_str());
      return 0;
    }
    if (!a.count("event") || !a.count("count")) {
      fprintf(stderr, "seckill-admin fill: --event and --count are required\n");
      return 2;
    }
    event = a["event"].as<std::string>();
    count = a["count"].as<int64_t>();
    if (!ReadRedisOptions(a, &addr)) return 1;
  } catch (const std::exception& e) {
    fprintf(stderr, "seckill-admin fill: %s\n", e.what());
    return 2;
  }
  if (count <= 0) {
    fprintf(stderr, "seckill-admin fill: --count must be positive\n");
    return 2;
  }
  RedisClient redis(addr, 30000);
  Status st = FillReservations(&redis, event, count);
  if (!st.ok()) return Fail(st.message());
  printf("event %s: %lld reservations made\n", event.c_str(), static_cast<long long>(count));
  return 0;
}

int ClusterCommand(const std::string& cmd, int argc, char** argv) {
  cxxopts::Options opts("seckill-admin " + cmd, "Print the cluster config for scripts.");
  opts.add_options()
      ("cluster", "cluster config file", cxxopts::value<std::string>()->default_value("etc/cluster.conf"))
      ("key", "the [sale] key to print (sale-setting)", cxxopts::value<std::string>()->default_value(""))
      ("host", "only this front host's nodes (nodes)", cxxopts::value<std::string>()->default_value(""))
      ("h,help", "show this help");
  opts.parse_positional({"key"});
  std::string path, key, host;
  try {
    auto a = opts.parse(argc, argv);
    if (a.count("help")) {
      printf("%s\n", opts.help().c_str());
      return 0;
    }
    path = a["cluster"].as<std::string>();
    key = a["key"].as<std::string>();
    host = a["host"].as<std::string>();
  } catch (const std::exception& e) {
    fprintf(stderr, "seckill-admin %s: %s\n", cmd.c_str(), e.what());
    return 2;
  }
  ClusterConfig c;
  Status st = ClusterConfig::Load(path, &c);
  if (!st.ok()) return Fail(st.message());
  if (cmd == "nodes") {
    if (!host.empty() && !c.FindHost(host)) return Fail(path + ": no host '" + host + "'");
    for (const auto& n : c.nodes)
      if (host.empty() || n.host == host) printf("%s %d %d\n", n.name.c_str(), n.weight, n.processes);
    return 0;
  }
  if (cmd == "hosts") {
    for (const auto& h : c.hosts) {
      std::string names;
      for (const NodeConfig* n : c.NodesOf(h.name)) names += (names.empty() ? "" : ",") + n->name;
      printf("%s %s %d %s\n", h.name.c_str(), h.address.c_str(), c.HostWeight(h.name), names.c_str());
    }
    return 0;
  }
  if (key == "buffer_percent") printf("%d\n", c.buffer_percent);
  else if (key == "default_event") printf("%s\n", c.default_event.c_str());
  else if (key == "max_body_bytes") printf("%d\n", c.max_body_bytes);
  else if (key == "rate_per_second") printf("%d\n", c.rate_per_second);
  else if (key == "rate_burst") printf("%d\n", c.rate_burst);
  else if (key == "connections_per_address") printf("%d\n", c.connections_per_address);
  else if (key == "cancel_limit") printf("%d\n", c.cancel_limit);
  else if (key == "default_event_tickets") printf("%lld\n", static_cast<long long>(c.default_event_tickets));
  else if (key == "anonymous_buy_ticket") printf("%s\n", c.identity.anonymous_buy_ticket ? "on" : "off");
  else if (key == "demo_sign_in") printf("%s\n", c.identity.demo_sign_in ? "on" : "off");
  else if (key == "leeway_seconds") printf("%d\n", c.identity.leeway_seconds);
  else if (key == "keys") {
    for (const KeySpec& k : c.identity.keys) printf("%s %s %s\n", k.kid.c_str(), TokenAlgName(k.alg), k.path.c_str());
  }
  else return Fail("unknown [sale] or [identity] key '" + key + "'");
  return 0;
}

int KeygenCommand(int argc, char** argv) {
  cxxopts::Options opts("seckill-admin keygen",
                        "Make a key pair for signing buyers' tokens: the private key (PEM, mode 0600) stays with the "
                        "sign-in (seckill-admin token, the demo sign-in); the public key (PEM) is what the cluster "
                        "config's [identity] key lines name. HS256 writes one shared secret (--private only).");
  opts.add_options()
      ("private", "the private key file to create", cxxopts::value<std::string>())
      ("public", "the public key file to create", cxxopts::value<std::string>()->default_value(""))
      ("alg", "RS256 (RSA 2048), ES256 (P-256) or HS256", cxxopts::value<std::string>()->default_value("RS256"))
      ("force", "overwrite existing files")
      ("h,help", "show this help");
  std::string priv, pub;
  TokenAlg alg;
  bool force = false;
  try {
    auto a = opts.parse(argc, argv);
    if (a.count("help")) {
      printf("%s\n", opts.help().c_str());
      return 0;
    }
    if (!a.count("private")) {
      fprintf(stderr, "seckill-admin keygen: --private is required\n");
      return 2;
    }
    priv = a["private"].as<std::string>();
    pub = a["public"].as<std::string>();
    force = a.count("force") > 0;
    if (!ParseTokenAlg(a["alg"].as<std::string>(), &alg)) {
      fprintf(stderr, "seckill-admin keygen: --alg must be ES256, RS256 or HS256\n");
      return 2;
    }
    if (alg != TokenAlg::kHS256 && pub.empty()) {
      fprintf(stderr, "seckill-admin keygen: --public is required for %s\n", TokenAlgName(alg));
      return 2;
    }
  } catch (const std::exception& e) {
    fprintf(stderr, "seckill-admin keygen: %s\n", e.what());
    return 2;
  }
  Status st = GenerateKeyPair(alg, priv, pub, force);
  if (!st.ok()) return Fail(st.message());
  printf("%s key: private %s%s%s\n", TokenAlgName(alg), priv.c_str(), pub.empty() ? "" : ", public ", pub.c_str());
  return 0;
}

int TokenCommand(int argc, char** argv) {
  cxxopts::Options opts("seckill-admin token",
                        "Mint buyers' tokens (JWT: sub = the user, iat, exp; kid in the header) with a private key, "
                        "one a line, in the order of the users: --user (repeatable), then the lines of "
                        "--users-file ('-': stdin). Spread over --threads.");
  opts.add_options()
      ("user", "a user id (repeatable)", cxxopts::value<std::vector<std::string>>())
      ("users-file", "a file of user ids, one a line ('-': stdin)", cxxopts::value<std::string>()->default_value(""))
      ("ttl", "seconds each token is valid", cxxopts::value<int64_t>()->default_value("3600"))
      ("key", "the private key (PEM; HS256: the secret file)", cxxopts::value<std::string>()->default_value("var/secrets/identity-local.key"))
      ("kid", "the key id the tokens name (the cluster config's key KID)", cxxopts::value<std::string>()->default_value("local"))
      ("alg", "ES256, RS256 or HS256; auto: the key's (EC: ES256, RSA: RS256, no PEM: HS256)", cxxopts::value<std::string>()->default_value("auto"))
      ("now", "issue time, seconds since the epoch (tests: expired or future tokens; default: now)", cxxopts::value<int64_t>())
      ("not-before", "add an nbf claim: valid from this time, seconds since the epoch (tests)", cxxopts::value<int64_t>()->default_value("0"))
      ("threads", "signing threads (default: the cores)", cxxopts::value<int>()->default_value("0"))
      ("h,help", "show this help");
  std::vector<std::string> users;
  std::string users_file, key, kid;
  int64_t ttl = 0, now = static_cast<int64_t>(time(nullptr)), not_before = 0;
  int threads = 0;
  TokenAlg alg = TokenAlg::kES256;
  bool auto_alg = false;
  try {
    auto a = opts.parse(argc, argv);
    if (a.count("help")) {
      printf("%s\n", opts.help().c_str());
      return 0;
    }
    if (a.count("user")) users = a["user"].as<std::vector<std::string>>();
    users_file = a["users-file"].as<std::string>();
    ttl = a["ttl"].as<int64_t>();
    key = a["key"].as<std::string>();
    kid = a["kid"].as<std::string>();
    threads = a["threads"].as<int>();
    if (a.count("now")) now = a["now"].as<int64_t>();
    not_before = a["not-before"].as<int64_t>();
    auto_alg = a["alg"].as<std::string>() == "auto";
    if (!auto_alg && !ParseTokenAlg(a["alg"].as<std::string>(), &alg)) {
      fprintf(stderr, "seckill-admin token: --alg must be ES256, RS256 or HS256\n");
      return 2;
    }
    if (users.empty() && users_file.empty()) {
      fprintf(stderr, "seckill-admin token: --user or --users-file is required\n");
      return 2;
    }
    if (ttl <= 0) {
      fprintf(stderr, "seckill-admin token: --ttl must be positive\n");
      return 2;
    }
  } catch (const std::exception& e) {
    fprintf(stderr, "seckill-admin token: %s\n", e.what());
    return 2;
  }
  if (!users_file.empty()) {
    std::ifstream file;
    if (users_file != "-") {
      file.open(users_file);
      if (!file) return Fail("cannot read " + users_file);
    }
    std::istream& in = users_file == "-" ? std::cin : file;
    std::string line;
    while (std::getline(in, line)) {
      if (!line.empty() && line.back() == '\r') line.pop_back();
      if (!line.empty()) users.push_back(line);
    }
  }
  if (auto_alg) {
    Status st = DetectKeyAlg(key, &alg);
    if (!st.ok()) return Fail(st.message());
  }
  TokenMinter minter;
  Status st = minter.Load(kid, alg, key);
  if (!st.ok()) return Fail(st.message());
  if (threads <= 0) threads = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  st = MintTokens(minter, users, now, ttl, threads, stdout, not_before);
  if (!st.ok()) return Fail(st.message());
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2 || !strcmp(argv[1], "-h") || !strcmp(argv[1], "--help")) {
    fputs(kUsage, argc < 2 ? stderr : stdout);
    return argc < 2 ? 2 : 0;
  }
  std::string cmd = argv[1];
  if (cmd == "--version") {
    PrintVersion("seckill-admin");
    return 0;
  }
  if (cmd == "create-event") return CreateEventCommand(argc - 1, argv + 1);
  if (cmd == "fill") return FillCommand(argc - 1, argv + 1);
  if (cmd == "nodes" || cmd == "hosts" || cmd == "sale-setting") return ClusterCommand(cmd, argc - 1, argv + 1);
  if (cmd == "keygen") return KeygenCommand(argc - 1, argv + 1);
  if (cmd == "token") return TokenCommand(argc - 1, argv + 1);
  fprintf(stderr, "seckill-admin: unknown command '%s'\n%s", cmd.c_str(), kUsage);
  return 2;
}
