// watcher_thread.h — a worker's background watcher (the sold-out flags'
// sweep, the opening flags' pass): a detached thread that the process's
// signals never reach.
#pragma once
#include <functional>

namespace seckill {

// Runs `body` on a new detached thread started with every signal blocked (a
// thread inherits its creator's mask, which is restored at once): a
// process-wide SIGTERM must reach the main thread, whose accept() it
// interrupts, never a watcher (delivered to a watcher, it was missed about 1
// time in 8 under strace).
void StartWatcherThread(std::function<void()> body);

}  // namespace seckill
