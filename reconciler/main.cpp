// seckill-reconciler — moves reservations and their state changes from Redis
// into MySQL, releases expired reservations, and records each run.
//
//   --once            one run (what cron calls every minute)
//   --loop SECONDS    runs every SECONDS until --budget is spent (sub-minute
//                     cadence under a per-minute cron entry)
//   --rebuild-redis [--event ID] [--force]
//                     after Redis lost its data: rebuilds the events' keys
//                     from MySQL (reconciler/redis_rebuild.h), one summary
//                     line per event; no lock file (safe beside a run)
// Exit status: 0 when every run succeeded (or another run holds the lock),
// 1 when Redis or MySQL failed (one line on stderr: the next run picks up
// everything) or a rebuild was refused or failed, 2 on bad usage.
#include <fcntl.h>
#include <signal.h>
#include <sys/file.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <string>
#include <thread>

#include <cxxopts.hpp>

#include "common/clock.h"
#include "common/redis_client.h"
#include "common/version.h"
#include "reconciler/order_store.h"
#include "reconciler/reconciler.h"
#include "reconciler/redis_rebuild.h"

using namespace seckill;

namespace {

volatile sig_atomic_t g_stop = 0;
void OnTerm(int) { g_stop = 1; }

bool ReadSecret(const std::string& path, std::string* out) {
  std::ifstream in(path);
  return static_cast<bool>(std::getline(in, *out));
}

// Writes the pass's metrics in the Prometheus text format, atomically
// (a temporary file renamed over the old one), for the textfile collector.
// The last-success time that an earlier run wrote to `path` (ms), or 0 when
// the file is missing or has none: a run that fails keeps reporting when a
// pass last succeeded, across restarts and --once runs from cron.
int64_t ReadLastSuccess(const std::string& path) {
  FILE* f = fopen(path.c_str(), "r");
  if (!f) return 0;
  char line[512];
  double seconds = 0;
  const char* name = "seckill_reconciler_last_success_timestamp_seconds ";
  while (fgets(line, sizeof line, f))
    if (strncmp(line, name, strlen(name)) == 0) seconds = atof(line + strlen(name));
  fclose(f);
  return seconds > 0 ? static_cast<int64_t>(seconds * 1000) : 0;
}

// Writes the textfile-collector file (node_exporter's format) atomically
// (temporary file, then rename). Every series is written on every run.
void WriteMetricsFile(const std::string& path, const RunStats& s, int64_t took_ms, bool ok) {
  static int64_t last_success = -1;  // -1: not read back from the file yet
  if (last_success < 0) last_success = ReadLastSuccess(path);
  if (ok) last_success = WallMillis();
  std::string tmp = path + ".tmp";
  FILE* f = fopen(tmp.c_str(), "w");
  if (!f) return;
  fprintf(f,
          "# HELP seckill_reconciler_last_run_moved Stream entries written to MySQL by the last pass.\n"
          "# TYPE seckill_reconciler_last_run_moved gauge\nseckill_reconciler_last_run_moved %lld\n"
          "# HELP seckill_reconciler_last_run_released Expired reservations given back by the last pass.\n"
          "# TYPE seckill_reconciler_last_run_released gauge\nseckill_reconciler_last_run_released %lld\n"
          "# HELP seckill_reconciler_lag_seconds Age of the oldest entry left unreconciled after the last pass.\n"
          "# TYPE seckill_reconciler_lag_seconds gauge\nseckill_reconciler_lag_seconds %.3f\n"
          "# HELP seckill_reconciler_last_run_duration_seconds How long the last pass took.\n"
          "# TYPE seckill_reconciler_last_run_duration_seconds gauge\nseckill_reconciler_last_run_duration_seconds %.3f\n"
          "# HELP seckill_reconciler_last_run_errors Errors in the last pass.\n"
          "# TYPE seckill_reconciler_last_run_errors gauge\nseckill_reconciler_last_run_errors %lld\n"
          "# HELP seckill_reconciler_last_run_timestamp_seconds When the last pass ended.\n"
          "# TYPE seckill_reconciler_last_run_timestamp_seconds gauge\nseckill_reconciler_last_run_timestamp_seconds %.3f\n"
          "# HELP seckill_reconciler_last_success_timestamp_seconds When a pass last succeeded, by this or an earlier run (0: never).\n"
          "# TYPE seckill_reconciler_last_success_timestamp_seconds gauge\nseckill_reconciler_last_success_timestamp_seconds %.3f\n",
          static_cast<long long>(s.moved), static_cast<long long>(s.released), s.lag_ms / 1000.0, took_ms / 1000.0,
          static_cast<long long>(s.errors), WallMillis() / 1000.0, last_success / 1000.0);
  if (fclose(f) == 0) rename(tmp.c_str(), path.c_str());
}

std::string HostName() {
  char buf[256] = {0};
  gethostname(buf, sizeof buf - 1);
  return buf;
}

}  // namespace

int main(int argc, char** argv) {
  cxxopts::Options opts("seckill-reconciler",
                        "Moves reservations from Redis streams into MySQL in batches, releases expired\n"
                        "reservations back to stock, and records each run in reconciler_runs.\n"
                        "With --rebuild-redis, rebuilds Redis from MySQL instead, after Redis lost its\n"
                        "data (FLUSHALL, a fresh instance): for each event of MySQL's events table (or\n"
                        "--event ID) its stock, sold and returned counts, holders, order hashes and\n"
                        "pending expiries, an empty stream with its consumer group, and seckill:events.\n"
                        "Only reconciled orders come back. It refuses an event that exists in Redis\n"
                        "unless --force. See docs/operations.md, \"Rebuilding Redis from MySQL\".");
  opts.add_options()
      ("once", "one run, then exit (the default)")
      ("loop", "run every SECONDS until the budget is spent", cxxopts::value<double>())
      ("budget", "seconds one invocation may work (a --once run stops starting batches after it)", cxxopts::value<double>()->default_value("50"))
      ("batch", "stream entries per MySQL transaction (1-50000)", cxxopts::value<size_t>()->default_value("1000"))
      ("release-batch", "expired orders released per Lua call (each call blocks Redis; 1-1000)", cxxopts::value<size_t>()->default_value("64"))
      ("no-trim", "keep acknowledged stream entries in Redis")
      ("no-release", "do not release expired reservations")
      ("final-ttl", "seconds to keep a paid order's Redis hash once it is in MySQL (0: forever)", cxxopts::value<int64_t>()->default_value("86400"))
      ("released-ttl", "seconds to keep an expired or cancelled order's Redis hash once it is in MySQL (0: forever)", cxxopts::value<int64_t>()->default_value("60"))
      ("metrics-file", "after each pass, write the run's metrics here for node_exporter's textfile collector", cxxopts::value<std::string>()->default_value(""))
      ("rebuild-redis", "rebuild events' Redis keys from MySQL (every event, or --event), print one line per event, exit")
      ("event", "with --rebuild-redis: only this event", cxxopts::value<std::string>())
      ("force", "with --rebuild-redis: overwrite events that exist in Redis (their Redis-only changes are lost)")
      ("redis", "Redis address: unix:/path or host:port", cxxopts::value<std::string>()->default_value("127.0.0.1:6379"))
      ("redis-password-file", "file holding the Redis password", cxxopts::value<std::string>()->default_value(""))
      ("mysql-host", "MySQL host", cxxopts::value<std::string>()->default_value("127.0.0.1"))
      ("mysql-port", "MySQL port", cxxopts::value<int>()->default_value("3306"))
      ("mysql-user", "MySQL user", cxxopts::value<std::string>()->default_value("reconciler"))
      ("mysql-password-file", "file holding the MySQL password", cxxopts::value<std::string>()->default_value(""))
      ("mysql-database", "MySQL database", cxxopts::value<std::string>()->default_value("seckill"))
      ("lock-file", "flock(2) this file so that runs on one host do not overlap; in a directory only the service may write (a lock in a world-writable one could be held by anyone)", cxxopts::value<std::string>()->default_value("/run/seckill/reconciler.lock"))
      ("no-lock", "run without the lock file (safe, see docs/architecture.md, but may repeat work)")
      ("version", "print the version and exit")
      ("h,help", "show this help");
  ReconcileOptions ropts;
  RedisAddress raddr;
  MysqlConfig mcfg;
  double loop_s = 0, budget_s = 50;
  std::string lock_file, metrics_file;
  bool rebuild = false;
  RebuildOptions rebuild_opts;
  try {
    auto a = opts.parse(argc, argv);
    if (a.count("help")) {
      printf("%s\n", opts.help().c_str());
      return 0;
    }
    if (a.count("version")) {
      PrintVersion("seckill-reconciler");
      return 0;
    }
    if (a.count("loop")) loop_s = a["loop"].as<double>();
    rebuild = a.count("rebuild-redis") > 0;
    if (a.count("event")) rebuild_opts.event = a["event"].as<std::string>();
    rebuild_opts.force = a.count("force") > 0;
    if (!rebuild && (a.count("event") || a.count("force"))) throw std::invalid_argument("--event and --force go with --rebuild-redis");
    if (rebuild && (a.count("loop") || a.count("once"))) throw std::invalid_argument("--rebuild-redis is a mode of its own: no --once or --loop");
    if (a.count("event") && rebuild_opts.event.empty()) throw std::invalid_argument("--event needs an event id");
    budget_s = a["budget"].as<double>();
    ropts.batch = a["batch"].as<size_t>();
    ropts.release_batch = a["release-batch"].as<size_t>();
    if (ropts.release_batch < 1 || ropts.release_batch > 1000) throw std::invalid_argument("--release-batch must be 1-1000");
    ropts.trim = !a.count("no-trim");
    ropts.release = !a.count("no-release");
    ropts.final_ttl_s = a["final-ttl"].as<int64_t>();
    if (ropts.final_ttl_s < 0) throw std::invalid_argument("--final-ttl must not be negative");
    ropts.released_ttl_s = a["released-ttl"].as<int64_t>();
    if (ropts.released_ttl_s < 0) throw std::invalid_argument("--released-ttl must not be negative");
    metrics_file = a["metrics-file"].as<std::string>();
    if (ropts.batch < 1 || ropts.batch > 50000) throw std::invalid_argument("--batch must be 1-50000");
    if (budget_s <= 0) throw std::invalid_argument("--budget must be positive");
    if (a.count("loop") && loop_s <= 0) throw std::invalid_argument("--loop must be positive");
    std::string f = a["redis-password-file"].as<std::string>();
    if (!f.empty() && !ReadSecret(f, &raddr.password)) throw std::invalid_argument("cannot read " + f);
    Status st = RedisAddress::Parse(a["redis"].as<std::string>(), &raddr);
    if (!st.ok()) throw std::invalid_argument(st.message());
    mcfg.host = a["mysql-host"].as<std::string>();
    mcfg.port = a["mysql-port"].as<int>();
    mcfg.user = a["mysql-user"].as<std::string>();
    mcfg.database = a["mysql-database"].as<std::string>();
    f = a["mysql-password-file"].as<std::string>();
    if (!f.empty() && !ReadSecret(f, &mcfg.password)) throw std::invalid_argument("cannot read " + f);
    if (!a.count("no-lock")) lock_file = a["lock-file"].as<std::string>();
  } catch (const std::exception& e) {
    fprintf(stderr, "seckill-reconciler: %s (see --help)\n", e.what());
    return 2;
  }
  ropts.budget_ms = static_cast<int64_t>(budget_s * 1000);

  if (rebuild) {
    // No lock file: a reconciler running meanwhile is harmless (redis_rebuild.h),
    // and a --loop run may hold the lock for a minute. No signal handler
    // either: a killed rebuild is simply run again.
    RedisClient redis(raddr, 5000);
    OrderStore store(mcfg);
    RedisRebuild rb(&redis, &store, rebuild_opts);
    std::vector<EventRow> events;
    Status st = rb.Plan(&events);
    for (size_t i = 0; st.ok() && i < events.size(); i++) {
      RebuildStats s;
      st = rb.Rebuild(events[i], &s);
      if (!st.ok()) break;
      printf("rebuild %s: total %lld, sold %lld, orders %lld, pending expiries %lld\n", s.event.c_str(),
             static_cast<long long>(s.total), static_cast<long long>(s.sold), static_cast<long long>(s.orders),
             static_cast<long long>(s.pending));
      fflush(stdout);
    }
    if (st.ok() && events.empty()) printf("rebuild: MySQL's events table is empty: nothing to rebuild\n");
    if (!st.ok()) {
      fprintf(stderr, "seckill-reconciler: rebuild: %s\n", st.message().c_str());
      return 1;
    }
    return 0;
  }

  if (!lock_file.empty()) {
    int fd = open(lock_file.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (fd < 0) {
      fprintf(stderr, "seckill-reconciler: cannot open lock file %s: %s (give --lock-file in the service's own directory, or --no-lock)\n",
              lock_file.c_str(), strerror(errno));
      return 1;
    }
    if (flock(fd, LOCK_EX | LOCK_NB) != 0) {
      printf("seckill-reconciler: another run holds %s; nothing to do\n", lock_file.c_str());
      return 0;
    }
    // The lock is released when the process exits, however it exits.
  }
  struct sigaction sa = {};
  sa.sa_handler = OnTerm;
  sigaction(SIGTERM, &sa, nullptr);
  sigaction(SIGINT, &sa, nullptr);

  RedisClient redis(raddr, 5000), reader(raddr, 5000);
  OrderStore store(mcfg);
  Reconciler rec(&redis, &reader, &store, ropts);
  const std::string host = HostName();
  const int64_t end = MonoMillis() + ropts.budget_ms;
  int rc = 0;
  do {
    int64_t started = WallMillis(), t0 = MonoMillis();
    rec.set_budget_ms(std::max<int64_t>(1, end - t0));
    RunStats stats;
    // The workers only call the scripts (their Redis user may not load them):
    // each pass loads those Redis lacks (a restart, SCRIPT FLUSH), one
    // SCRIPT EXISTS when none is missing.
    size_t loaded = 0;
    Status ls = redis.LoadScripts(&loaded);
    Status st = rec.RunOnce(&stats);
    if (st.ok() && !ls.ok()) st = ls;
    int64_t took = MonoMillis() - t0;
    std::string repaired;
    if (loaded) repaired += ", loaded " + std::to_string(loaded) + " Lua scripts";
    if (stats.verified) repaired += ", checked " + std::to_string(stats.verified) + " events after a Redis restart";
    if (stats.restored) repaired += ", restored " + std::to_string(stats.restored) + " orders lost by Redis";
    if (stats.corrected) repaired += ", corrected " + std::to_string(stats.corrected) + " statuses Redis lost";
    RunRow row{host, started, WallMillis(), stats.moved, stats.released, stats.lag_ms, stats.errors,
               stats.error.empty() && !repaired.empty() ? repaired.substr(2) : stats.error};
    Status rs = store.RecordRun(row);  // fails too when MySQL is down: the line below says so
    printf("reconciler: moved %lld, released %lld, lag %lld ms, %lld ms, %lld events%s%s\n",
           static_cast<long long>(stats.moved), static_cast<long long>(stats.released),
           static_cast<long long>(stats.lag_ms), static_cast<long long>(took),
           static_cast<long long>(stats.events), repaired.c_str(), st.ok() ? "" : ", FAILED");
    fflush(stdout);
    if (!metrics_file.empty()) WriteMetricsFile(metrics_file, stats, took, st.ok() && rs.ok());
    if (!st.ok()) {
      fprintf(stderr, "seckill-reconciler: %s\n", st.message().c_str());
      rc = 1;
    } else if (!rs.ok()) {
      fprintf(stderr, "seckill-reconciler: recording the run: %s\n", rs.message().c_str());
      rc = 1;
    }
    if (loop_s <= 0 || g_stop) break;
    int64_t next = t0 + static_cast<int64_t>(loop_s * 1000);
    while (!g_stop && MonoMillis() < next && MonoMillis() < end)
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
  } while (!g_stop && MonoMillis() < end);
  return rc;
}
