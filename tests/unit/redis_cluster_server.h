// redis_cluster_server.h — a real Redis Cluster for the unit tests tagged
// [cluster]: 3 masters and 3 replicas (redis-server on free loopback ports,
// no persistence), built with `redis-cli --cluster create --cluster-replicas 1`
// the first time a test asks for it, in a fresh temporary folder; every node
// is killed when the test binary exits (PDEATHSIG too). Tests share it and
// use keys of their own. The sibling of redis_server.h.
// Not thread-safe: the doctest runner is single-threaded.
#pragma once
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <doctest/doctest.h>

#include <cstdlib>
#include <memory>
#include <string>
#include <vector>

#include "common/redis_client.h"

namespace seckill::testing {

class RedisClusterServer {
 public:
  static constexpr int kNodes = 6;

  // The shared cluster; starts it on first use. REQUIREs that it is up.
  static RedisClusterServer& Get() {
    static std::unique_ptr<RedisClusterServer> server(new RedisClusterServer());
    const std::string why = "the Redis Cluster did not start (redis-server, redis-cli installed? see " + server->dir_ + ")";
    REQUIRE_MESSAGE(server->ok_, why);
    return *server;
  }

  ~RedisClusterServer() {
    for (pid_t p : pids_) {
      if (p <= 0) continue;
      kill(p, SIGCONT);
      kill(p, SIGKILL);
      waitpid(p, nullptr, 0);
    }
    if (!dir_.empty()) std::system(("rm -rf '" + dir_ + "'").c_str());
  }

  int port(int i) const { return base_ + i; }
  pid_t pid(int i) const { return pids_[i]; }

  // A cluster client seeded with the first node.
  std::unique_ptr<RedisClient> Client(int timeout_ms = 2000) const {
    RedisAddress a;
    REQUIRE(RedisAddress::Parse("cluster:127.0.0.1:" + std::to_string(base_), &a).ok());
    return std::make_unique<RedisClient>(a, timeout_ms);
  }
  // A plain connection to node i (no routing).
  std::unique_ptr<RedisClient> Node(int i) const {
    RedisAddress a;
    REQUIRE(RedisAddress::Parse("127.0.0.1:" + std::to_string(port(i)), &a).ok());
    return std::make_unique<RedisClient>(a, 2000);
  }
  // The index of the node whose "host:port" is `name`, -1 if none.
  int IndexOf(const std::string& name) const {
    for (int i = 0; i < kNodes; i++)
      if (name == "127.0.0.1:" + std::to_string(port(i))) return i;
    return -1;
  }
  // One command on node i; REQUIREs an answer.
  Reply On(int i, const std::vector<std::string>& argv) const {
    Status st;
    Reply r = Node(i)->Command(argv, &st);
    REQUIRE_MESSAGE(st.ok(), st.message());
    return r;
  }
  std::string NodeId(int i) const {
    Reply r = On(i, {"CLUSTER", "MYID"});
    return std::string(r->str, r->len);
  }

 private:
  static bool PortFree(int port) {
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a = {};
    a.sin_family = AF_INET;
    a.sin_port = htons(static_cast<uint16_t>(port));
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    bool free = bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0;
    close(fd);
    return free;
  }

  RedisClusterServer() {
    signal(SIGPIPE, SIG_IGN);
    char dir[] = "/tmp/seckill-cluster-test-XXXXXX";
    if (!mkdtemp(dir)) return;
    dir_ = dir;
    srand(static_cast<unsigned>(getpid()));
    for (int tries = 0; tries < 50 && base_ == 0; tries++) {
      int b = 20000 + rand() % 2000;  // the bus ports (+10000) stay below the ephemeral range
      bool all = true;
      for (int i = 0; i < kNodes && all; i++) all = PortFree(b + i) && PortFree(b + i + 10000);
      if (all) base_ = b;
    }
    if (base_ == 0) return;
    for (int i = 0; i < kNodes; i++) pids_.push_back(StartNode(port(i)));
    for (int i = 0; i < kNodes; i++)
      if (!WaitFor([&] { return Ping(i); })) return;
    std::string create = "redis-cli --cluster create";
    for (int i = 0; i < kNodes; i++) create += " 127.0.0.1:" + std::to_string(port(i));
    create += " --cluster-replicas 1 --cluster-yes > '" + dir_ + "/create.log' 2>&1";
    if (std::system(create.c_str()) != 0) return;
    for (int i = 0; i < kNodes; i++)
      if (!WaitFor([&] {
            // With cluster-require-full-coverage no, cluster_state:ok does not
            // mean the node knows every slot's master yet: wait until it does.
            std::string info = Info(i, "CLUSTER", "INFO");
            return info.find("cluster_state:ok") != std::string::npos &&
                   info.find("cluster_slots_ok:16384") != std::string::npos &&
                   info.find("cluster_known_nodes:6") != std::string::npos;
          }))
        return;
    for (int i = 0; i < kNodes; i++)
      if (!WaitFor([&] {
            std::string r = Info(i, "INFO", "replication");
            return r.find("role:master") != std::string::npos || r.find("master_link_status:up") != std::string::npos;
          }))
        return;
    ok_ = true;
  }

  pid_t StartNode(int port) {
    pid_t pid = fork();
    if (pid == 0) {
      prctl(PR_SET_PDEATHSIG, SIGKILL);
      int null = open("/dev/null", O_RDWR);
      dup2(null, 0);
      dup2(null, 1);
      dup2(null, 2);
      std::string p = std::to_string(port);
      execlp("redis-server", "redis-server", "--port", p.c_str(), "--bind", "127.0.0.1", "--cluster-enabled", "yes",
             "--cluster-config-file", (dir_ + "/nodes-" + p + ".conf").c_str(), "--cluster-node-timeout", "2000",
             "--cluster-require-full-coverage", "no", "--repl-diskless-sync-delay", "0", "--save", "",
             "--appendonly", "no", "--dir", dir_.c_str(), "--logfile", (dir_ + "/redis-" + p + ".log").c_str(),
             static_cast<char*>(nullptr));
      _exit(127);
    }
    return pid;
  }

  template <class F>
  static bool WaitFor(F done) {
    for (int i = 0; i < 200; i++) {  // up to 20 s
      if (done()) return true;
      usleep(100000);
    }
    return false;
  }

  bool Ping(int i) const {
    RedisAddress a;
    if (!RedisAddress::Parse("127.0.0.1:" + std::to_string(port(i)), &a).ok()) return false;
    RedisClient c(a, 500);
    Status st;
    c.Command({"PING"}, &st);
    return st.ok();
  }

  std::string Info(int i, const char* cmd, const char* arg) const {
    RedisAddress a;
    if (!RedisAddress::Parse("127.0.0.1:" + std::to_string(port(i)), &a).ok()) return "";
    RedisClient c(a, 500);
    Status st;
    Reply r = c.Command({cmd, arg}, &st);
    return st.ok() && r->type == REDIS_REPLY_STRING ? std::string(r->str, r->len) : "";
  }

  std::string dir_;
  int base_ = 0;
  std::vector<pid_t> pids_;
  bool ok_ = false;
};

}  // namespace seckill::testing
