// seckill-worker — a FastCGI worker process of one node pool.
//
// Runs under spawn-fcgi (which hands it the listening socket as fd 0) and
// multiwatch (which forks the pool's processes and respawns any that dies).
// Shape of the loop (after kcgi's sample-fcgi.c): set up once, then accept,
// handle, finish, repeat. A request can never kill the process: parsing is
// bounded, every library error is a value, and handlers catch everything.
#include <fcgiapp.h>
#include <fcntl.h>

#include <cerrno>
#include <signal.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <string>

#include <cxxopts.hpp>

#include "common/cluster_config.h"
#include "common/identity.h"
#include "common/ids.h"
#include "common/redis_client.h"
#include "common/version.h"
#include "fcgi/api.h"
#include "fcgi/http_request.h"
#include "fcgi/metrics.h"
#include "common/node_counter.h"
#include "fcgi/orders.h"
#include "fcgi/reservation.h"
#include "fcgi/opening_flag.h"
#include "fcgi/soldout_flag.h"

using namespace seckill;

namespace {

volatile sig_atomic_t g_stop = 0;

void OnTerm(int) {
  g_stop = 1;
  FCGX_ShutdownPending();
}

// The log file (--log) and the line written on reopening it, set once before
// the SIGHUP handler is installed: the handler only reads them.
char g_log_path[4096];
char g_reopened_line[128];

// SIGHUP: reopen the log file (after logrotate moved it; scripts/stack
// reopen-logs). open, dup2, close and write are async-signal-safe.
void OnHup(int) {
  if (!g_log_path[0]) return;
  int saved = errno;
  int fd = open(g_log_path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0640);
  if (fd >= 0) {
    dup2(fd, STDERR_FILENO);
    close(fd);
    ssize_t w = write(STDERR_FILENO, g_reopened_line, strlen(g_reopened_line));
    (void)w;
  }
  errno = saved;
}

std::string Param(FCGX_Request* req, const char* name) {
  const char* v = FCGX_GetParam(name, req->envp);
  return v ? v : "";
}

// Reads the request body into *body unless it is too large. Returns the HTTP
// status to answer at once (413, 400), or 0 to go on.
int ReadBody(FCGX_Request* req, size_t max_body, std::string* body) {
  std::string len_text = Param(req, "CONTENT_LENGTH");
  if (len_text.empty()) return 0;
  char* end = nullptr;
  long long len = strtoll(len_text.c_str(), &end, 10);
  if (*end != '\0' || len < 0) return 400;
  if (static_cast<unsigned long long>(len) > max_body) return 413;
  body->resize(static_cast<size_t>(len));
  int got = len ? FCGX_GetStr(&(*body)[0], static_cast<int>(len), req->in) : 0;
  if (got != len) return 400;  // the client went away mid-body
  return 0;
}

// Answers one request; sets *endpoint to what it asked for (for the metrics).
Response HandleOne(FCGX_Request* fr, Api* api, size_t max_body, Endpoint* endpoint) {
  *endpoint = Endpoint::kNotFound;
  std::string body;
  if (int early = ReadBody(fr, max_body, &body))
    return ErrorResponse(early, early == 413 ? "body_too_large" : "bad_request");
  HttpRequest req;
  Status st = ParseRequest(Param(fr, "REQUEST_METHOD"), Param(fr, "REQUEST_URI"), Param(fr, "CONTENT_TYPE"), body, &req);
  if (!st.ok()) {
    if (st.message() == "unsupported media type")
      return ErrorResponse(415, "unsupported_media_type", "send application/x-www-form-urlencoded");
    return ErrorResponse(400, "bad_request", st.message());
  }
  req.admin = !Param(fr, "SECKILL_ADMIN").empty();
  req.authorization = Param(fr, "HTTP_AUTHORIZATION");
  Route route = MatchRoute(req.method, req.path);
  *endpoint = route.endpoint;
  return api->Handle(route, req);
}

}  // namespace

int main(int argc, char** argv) {
  cxxopts::Options opts("seckill-worker",
                        "FastCGI worker of a flash-sale node pool: reserves tickets against the node's\n"
                        "SQLite counter, then the global stock in Redis. Run it under spawn-fcgi and multiwatch.");
  opts.add_options()
      ("node", "this node's name (a [node NAME] of the cluster config)", cxxopts::value<std::string>())
      ("cluster", "cluster config file", cxxopts::value<std::string>()->default_value("etc/cluster.conf"))
      ("redis", "Redis address: unix:/path/to/sock, host:port, or cluster:host:port,host:port... (any nodes of a Redis Cluster)", cxxopts::value<std::string>()->default_value("127.0.0.1:6379"))
      ("redis-password-file", "file holding the Redis password (or user:password for an ACL user)", cxxopts::value<std::string>()->default_value(""))
      ("redis-timeout-ms", "Redis connect and command timeout", cxxopts::value<int>()->default_value("1000"))
      ("redis-wait-ms", "cluster mode: answer a reservation, payment or cancellation 2xx only once WAIT 1 MS confirmed a replica holds it (else 503 \"not confirmed\"); 0: no WAIT", cxxopts::value<int>()->default_value("1000"))
      ("sqlite", "the node counter's SQLite file, shared by the node's processes", cxxopts::value<std::string>())
      ("sqlite-busy-ms", "longest wait for the node counter's lock before answering 503", cxxopts::value<int>()->default_value("100"))
      ("soldout-dir", "directory of this host's sold-out flags (tested by nginx)", cxxopts::value<std::string>())
      ("watch-ms", "how often the sold-out flags are re-checked against Redis", cxxopts::value<int>()->default_value("200"))
      ("opening-pass-ms", "how often the not-open flags are synced with Redis (each opens at its instant regardless)",
       cxxopts::value<int>()->default_value("1000"))
      ("metrics-dir", "directory of this host's node metrics files (<node>.shm); empty: no metrics", cxxopts::value<std::string>()->default_value(""))
      ("nginx-status-url", "nginx stub_status URL for the operator status (empty: not reported)", cxxopts::value<std::string>()->default_value(""))
      ("log", "append log lines to this file instead of stderr", cxxopts::value<std::string>()->default_value(""))
      ("version", "print the version and exit")
      ("h,help", "show this help");
  std::string node, cluster_path, sqlite_path, soldout_dir, log_path, password_file, metrics_dir, nginx_status_url;
  RedisAddress redis_addr;
  int redis_timeout = 1000, busy_ms = 100, watch_ms = 200, opening_pass_ms = 1000, wait_ms = 1000;
  try {
    auto args = opts.parse(argc, argv);
    if (args.count("help")) {
      printf("%s\n", opts.help().c_str());
      return 0;
    }
    if (args.count("version")) {
      PrintVersion("seckill-worker");
      return 0;
    }
    for (const char* required : {"node", "sqlite", "soldout-dir"}) {
      if (!args.count(required)) {
        fprintf(stderr, "seckill-worker: --%s is required (see --help)\n", required);
        return 2;
      }
    }
    node = args["node"].as<std::string>();
    cluster_path = args["cluster"].as<std::string>();
    sqlite_path = args["sqlite"].as<std::string>();
    soldout_dir = args["soldout-dir"].as<std::string>();
    log_path = args["log"].as<std::string>();
    password_file = args["redis-password-file"].as<std::string>();
    metrics_dir = args["metrics-dir"].as<std::string>();
    nginx_status_url = args["nginx-status-url"].as<std::string>();
    redis_timeout = args["redis-timeout-ms"].as<int>();
    wait_ms = args["redis-wait-ms"].as<int>();
    busy_ms = args["sqlite-busy-ms"].as<int>();
    watch_ms = args["watch-ms"].as<int>();
    opening_pass_ms = args["opening-pass-ms"].as<int>();
    Status st = RedisAddress::Parse(args["redis"].as<std::string>(), &redis_addr);
    if (!st.ok()) {
      fprintf(stderr, "seckill-worker: %s\n", st.message().c_str());
      return 2;
    }
  } catch (const std::exception& e) {
    fprintf(stderr, "seckill-worker: %s (see --help)\n", e.what());
    return 2;
  }

  if (!log_path.empty()) {
    int fd = open(log_path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0640);
    if (fd < 0 || dup2(fd, STDERR_FILENO) < 0) {
      fprintf(stderr, "seckill-worker: cannot open log %s: %s\n", log_path.c_str(), strerror(errno));
      return 2;
    }
    close(fd);
    snprintf(g_log_path, sizeof g_log_path, "%s", log_path.c_str());
    snprintf(g_reopened_line, sizeof g_reopened_line, "seckill-worker %d: log reopened (SIGHUP)\n", getpid());
  }
  setvbuf(stderr, nullptr, _IOLBF, 0);

  ClusterConfig cluster;
  Status st = ClusterConfig::Load(cluster_path, &cluster);
  if (!st.ok()) {
    fprintf(stderr, "seckill-worker: %s\n", st.message().c_str());
    return 2;
  }
  if (!IsValidId(node) || !cluster.Find(node)) {
    fprintf(stderr, "seckill-worker: node '%s' is not in %s\n", node.c_str(), cluster_path.c_str());
    return 2;
  }
  if (!password_file.empty()) {
    std::ifstream in(password_file);
    if (!std::getline(in, redis_addr.password)) {
      fprintf(stderr, "seckill-worker: cannot read %s\n", password_file.c_str());
      return 2;
    }
  }
  NodeCounter counter;
  st = counter.Open(sqlite_path, busy_ms, cluster.Find(node)->processes);
  if (!st.ok()) {
    fprintf(stderr, "seckill-worker: %s\n", st.message().c_str());
    return 2;
  }

  Metrics metrics;
  if (!metrics_dir.empty()) {
    st = metrics.Open(metrics_dir + "/" + node + ".shm");
    if (!st.ok()) fprintf(stderr, "seckill-worker %d: no metrics: %s\n", getpid(), st.message().c_str());
  }

  // The buyers' tokens: the public keys of the cluster config's [identity].
  TokenVerifier verifier;
  st = verifier.Load(cluster.identity.keys, cluster.identity.leeway_seconds);
  if (!st.ok()) {
    fprintf(stderr, "seckill-worker: %s\n", st.message().c_str());
    return 2;
  }
  if (verifier.empty())
    fprintf(stderr, "seckill-worker %d: no [identity] key in %s: every buyer's token is refused (401)\n", getpid(),
            cluster_path.c_str());

  // EVALSHA only: the worker's Redis user may not load scripts (the reconciler does).
  RedisClient redis(redis_addr, redis_timeout, ScriptLoading::kPreloaded);
  if (wait_ms > 0) redis.set_confirm(1, wait_ms);  // cluster mode only (redis_client.h)
  SoldOutFlags flags(soldout_dir);
  flags.StartWatcher(redis_addr, watch_ms);
  OpeningFlags(soldout_dir).StartWatcher(redis_addr, opening_pass_ms);
  Reservations reservations(&cluster, node, &redis, &counter, &flags);
  Orders orders(&redis, &flags, cluster.cancel_limit);
  size_t slash = sqlite_path.rfind('/');
  std::string sqlite_dir = slash == std::string::npos ? "." : sqlite_path.substr(0, slash);
  Api api(&cluster, &reservations, &orders, &redis,
          AdminSources{&metrics, &counter, StatusSources{&cluster, &redis, sqlite_dir, metrics_dir, nginx_status_url}},
          &verifier);

  if (FCGX_Init() != 0) {
    fprintf(stderr, "seckill-worker: FCGX_Init failed\n");
    return 1;
  }
  // After FCGX_Init, which installs libfcgi's own SIGUSR1 handler: TERM, INT, QUIT
  // and USR1 (multiwatch's graceful signal) all end the loop after the
  // request in hand. No SA_RESTART: accept() returns so the loop can end.
  struct sigaction sa = {};
  sa.sa_handler = OnTerm;
  sigaction(SIGTERM, &sa, nullptr);
  sigaction(SIGINT, &sa, nullptr);
  sigaction(SIGUSR1, &sa, nullptr);
  sigaction(SIGQUIT, &sa, nullptr);  // what multiwatch sends on stop, whatever -s says
  struct sigaction hup = {};
  hup.sa_handler = OnHup;
  hup.sa_flags = SA_RESTART;  // a reopen does not end accept()
  sigaction(SIGHUP, &hup, nullptr);
  signal(SIGPIPE, SIG_IGN);
  FCGX_Request fr;
  FCGX_InitRequest(&fr, 0, 0);
  fprintf(stderr, "seckill-worker %d: node %s serving (redis %s, counter %s)\n", getpid(), node.c_str(),
          redis_addr.ToString().c_str(), sqlite_path.c_str());
  const size_t max_body = static_cast<size_t>(cluster.max_body_bytes);
  uint64_t redis_trips = 0, redis_errors = 0;
  while (!g_stop && FCGX_Accept_r(&fr) >= 0) {
    auto t0 = std::chrono::steady_clock::now();
    Response resp;
    Endpoint endpoint = Endpoint::kNotFound;
    try {
      resp = HandleOne(&fr, &api, max_body, &endpoint);
    } catch (const std::exception& e) {
      fprintf(stderr, "seckill-worker %d: request failed: %s\n", getpid(), e.what());
      resp = ErrorResponse(500, "internal");
    }
    std::string out = resp.Serialize(node);
    FCGX_PutStr(out.data(), static_cast<int>(out.size()), fr.out);
    FCGX_Finish_r(&fr);
    metrics.Count(endpoint, resp.outcome, std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
    metrics.AddRedis(redis.round_trips() - redis_trips, redis.errors() - redis_errors);
    redis_trips = redis.round_trips();
    redis_errors = redis.errors();
    uint64_t busy = 0, waits = 0;
    counter.TakeStats(&busy, &waits);
    if (busy || waits) metrics.AddSqlite(busy, waits);
  }
  if (g_stop) {
    int64_t leased = counter.LeasedTotal();
    st = counter.ReturnLeases();
    fprintf(stderr, "seckill-worker %d: shutting down on signal; %s %lld leased tickets to the node's counter\n", getpid(),
            st.ok() ? "gave back" : ("could not give back (" + st.message() + ")").c_str(), static_cast<long long>(leased));
    return 0;
  }
  fprintf(stderr, "seckill-worker %d: accept failed, exiting (not run under spawn-fcgi?)\n", getpid());
  return 1;
}
