// redis_server.h — a real redis-server for the unit tests tagged [redis]:
// started on a unix socket in a fresh temporary folder the first time a test
// asks for it (no persistence), stopped when the test binary exits. Tests
// share it and start from an empty database (Fresh()). As hiredis's own
// test.sh does, the tests talk to the real server, never a mock.
// Not thread-safe: the doctest runner is single-threaded.
#pragma once
#include <fcntl.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <doctest/doctest.h>

#include <cstdlib>
#include <memory>
#include <string>

#include "common/redis_client.h"

namespace seckill::testing {

class RedisServer {
 public:
  // The shared server; starts it on first use. REQUIREs that it started.
  static RedisServer& Get() {
    static std::unique_ptr<RedisServer> server(new RedisServer());
    REQUIRE_MESSAGE(server->pid_ > 0, "redis-server did not start (is it installed? scripts/install-deps)");
    return *server;
  }

  ~RedisServer() {
    Stop();
    if (!dir_.empty()) std::system(("rm -rf '" + dir_ + "'").c_str());
  }

  RedisAddress address() const {
    RedisAddress a;
    a.unix_path = socket_;
    return a;
  }

  // A client on an empty database.
  std::unique_ptr<RedisClient> Fresh() {
    auto c = std::make_unique<RedisClient>(address(), 2000);
    Status st;
    Reply r = c->Command({"FLUSHALL"}, &st);
    REQUIRE_MESSAGE(st.ok(), st.message());
    return c;
  }

  // Kills the server and starts a new process on the same socket (a new
  // run_id, an empty database: nothing is persisted).
  void Restart() {
    Stop();
    Start();
    REQUIRE(pid_ > 0);
  }

 private:
  RedisServer() {
    signal(SIGPIPE, SIG_IGN);  // as in every program of the project: a closed connection is an error value
    char dir[] = "/tmp/seckill-redis-test-XXXXXX";
    if (!mkdtemp(dir)) return;
    dir_ = dir;
    socket_ = dir_ + "/redis.sock";
    Start();
  }

  void Start() {
    pid_ = fork();
    if (pid_ == 0) {
      prctl(PR_SET_PDEATHSIG, SIGKILL);  // it dies with the test binary, whatever happens to it
      int null = open("/dev/null", O_RDWR);
      dup2(null, 0);
      dup2(null, 1);
      dup2(null, 2);
      execlp("redis-server", "redis-server", "--port", "0", "--unixsocket", socket_.c_str(), "--save", "",
             "--appendonly", "no", "--dir", dir_.c_str(), "--logfile", (dir_ + "/redis.log").c_str(),
             static_cast<char*>(nullptr));
      _exit(127);
    }
    for (int i = 0; i < 100; i++) {  // up to 5 s for the socket to answer
      struct stat st;
      if (stat(socket_.c_str(), &st) == 0) {
        RedisClient probe(address(), 500);
        Status s;
        probe.Command({"PING"}, &s);
        if (s.ok()) return;
      }
      int status;
      if (waitpid(pid_, &status, WNOHANG) == pid_) break;  // it exited
      usleep(50000);
    }
    Stop();
  }

  void Stop() {
    if (pid_ <= 0) return;
    kill(pid_, SIGKILL);
    waitpid(pid_, nullptr, 0);
    pid_ = -1;
    unlink(socket_.c_str());
  }

  std::string dir_, socket_;
  pid_t pid_ = -1;
};

}  // namespace seckill::testing
