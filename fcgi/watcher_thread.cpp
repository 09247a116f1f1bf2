#include "fcgi/watcher_thread.h"

#include <pthread.h>
#include <signal.h>

#include <thread>

namespace seckill {

void StartWatcherThread(std::function<void()> body) {
  sigset_t all, before;
  sigfillset(&all);
  pthread_sigmask(SIG_BLOCK, &all, &before);
  std::thread(std::move(body)).detach();
  pthread_sigmask(SIG_SETMASK, &before, nullptr);
}

}  // namespace seckill
