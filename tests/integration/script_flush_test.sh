#!/usr/bin/env bash
# script_flush_test — fault 6 of docs/reliability.md: Redis's script cache
# flushed (SCRIPT FLUSH) mid-sale (tests/lib.sh's sale_with proves it came
# while tickets were left and clients were sending):
#   - the flush mattered: Redis answered NOSCRIPT to the workers' EVALSHA
#     (INFO errorstats), and the workers loaded the scripts again
#   - the clients see only 201, 409 and 429; every ticket sold once, every
#     order a client was told of in MySQL (check_sale)
# shellcheck source-path=SCRIPTDIR source=../lib.sh
. "$(dirname "$0")/../lib.sh"
start_stack redis mysql pools nginx
# errorstat NAME / cmdstat NAME: Redis's count of NAME errors / NAME calls (0 if none)
errorstat() { redis_cli info errorstats | tr -d '\r' | sed -n "s/^errorstat_$1:count=//p" | grep . || echo 0; }
cmdstat() { redis_cli info commandstats | tr -d '\r' | sed -n "s/^cmdstat_$1:calls=\([0-9]*\),.*/\1/p" | grep . || echo 0; }

noscript0=$(errorstat NOSCRIPT)
flush_scripts() { loads0=$(cmdstat 'script|load'); redis_cli script flush | grep -qx OK; }
sale_with f6 1500 2500 flush_scripts
noscript1=$(errorstat NOSCRIPT); loads1=$(cmdstat 'script|load')
check "[f6] the flush made Redis answer NOSCRIPT to the workers ($noscript0, then $noscript1)" test "$noscript1" -gt "$noscript0"
check "[f6] and the workers loaded the scripts again (SCRIPT LOAD calls $loads0 at the flush, then $loads1)" test "$loads1" -gt "$loads0"
only_answers f6 201 409 429
check_sale f6 1500

finish
