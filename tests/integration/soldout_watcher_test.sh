#!/usr/bin/env bash
# soldout_watcher_test — the sold-out flags' watcher (fcgi/soldout_flag.h):
#   - one process per host watches, whatever the number of workers: one
#     Redis connection sweeping (one pipelined round trip per tick for every
#     flagged event, 201 of them here);
#   - stock back in Redis: the flag goes, on its own, within a few ticks;
#   - the event deleted: its flag is forgotten;
#   - the watching worker SIGKILLed: another process takes over.
. "$(dirname "$0")/../lib.sh"
start_stack redis pools nginx
T=$(mktemp -d)
sweepers() { redis_cli client list | grep -c 'cmd=hmget'; }
lock_holder() {  # the pid holding the flock of the host's .watcher file
  local inode
  inode=$(stat -c %i "$VAR/run/soldout/.watcher")
  awk -v i="$inode" '$2 == "FLOCK" { split($6, a, ":"); if (a[3] == i) print $5 }' /proc/locks | head -1
}
wait_gone() { local i; for i in $(seq 1 50); do [ -e "$1" ] || return 0; sleep 0.1; done; return 1; }

# 201 sold-out events, flagged as a worker flags them; no request is served,
# so the workers' own connections stay closed and only watchers talk to Redis.
for e in w $(seq -f 's%g' 1 200); do echo "HSET ev:{$e} total 1 sold 1"; done | redis_cli > /dev/null
for e in w $(seq -f 's%g' 1 200); do : > "$VAR/run/soldout/$e"; done
sleep 1
procs=$(pgrep -f "^[^ ]*seckill-worker --node .* --soldout-dir $VAR/run/soldout" | wc -l)
check_eq "one Redis connection sweeps for all $procs worker processes" 1 "$(sweepers)"
check_eq "the flags stay while the events are sold out" 201 "$(find "$VAR/run/soldout" -type f ! -name '.*' | wc -l)"

redis_cli hincrby 'ev:{w}' total 1 > /dev/null
check "stock back: the watcher lowers the flag by itself" wait_gone "$VAR/run/soldout/w"
redis_cli del 'ev:{s1}' > /dev/null
check "an event deleted: its flag is forgotten" wait_gone "$VAR/run/soldout/s1"

holder=$(lock_holder)
check "a worker holds the watcher lock (pid ${holder:-none})" test -n "$holder"
[ -n "$holder" ] && kill -KILL "$holder"
for _ in $(seq 1 50); do h=$(lock_holder); [ -n "$h" ] && [ "$h" != "$holder" ] && break; sleep 0.1; done
check "another process took over (pid ${h:-none})" test -n "$h" -a "$h" != "$holder"
redis_cli hincrby 'ev:{s2}' total 1 > /dev/null
check "and lowers flags in its turn" wait_gone "$VAR/run/soldout/s2"
check_eq "still one sweeping connection" 1 "$(sweepers)"
rm -rf "$T"
finish
