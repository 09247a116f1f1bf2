#!/usr/bin/env bash
# lint_test — the static checks of every script, one line per file; a file
# fails on any finding:
#   - every bash file, by `shellcheck -x` with the project's .shellcheckrc
#     (what it disables, and why): scripts/* (those without an extension),
#     scripts/*.sh, tests/**/*.sh and tests/run;
#   - every Lua file, by `luac5.1 -p`: lua/*.lua (Redis runs Lua 5.1), each
#     script as SCRIPT LOAD sends it ($BUILD/gen/lua/*.lua: the generated
#     preamble, lib.lua and the script, from scripts/protocol-gen) and
#     scripts/wrk/*.lua (wrk's LuaJIT speaks 5.1).
# Needs no stack. The findings of a failing file follow its line as comments.
. "$(dirname "$0")/../lib.sh"
cd "$TESTS_DIR/.." || exit 1
shopt -s globstar nullglob

# lint NAME CMD...: one result line for CMD, with up to 20 lines of its output.
lint() {
  local name=$1 out; shift
  if out=$("$@" 2>&1); then ok "$name"; return; fi
  not_ok "$name" "findings: $(grep -c . <<< "$out")"
  head -n 20 <<< "$out" | sed 's/^/#   /'
}

bash_files() {
  local f
  for f in scripts/* scripts/*.sh tests/**/*.sh tests/run; do
    [ -f "$f" ] || continue
    case $f in scripts/*.*) [[ $f == *.sh ]] || continue ;; esac
    echo "$f"
  done | sort -u
}

for tool in shellcheck luac5.1; do
  command -v "$tool" > /dev/null || { not_ok "$tool is installed" "run scripts/install-deps"; finish; exit; }
done
while read -r f; do lint "shellcheck $f" shellcheck -x -f gcc "$f"; done < <(bash_files)
generated=("$BUILD"/gen/lua/*.lua)
[ ${#generated[@]} -gt 0 ] || not_ok "the generated scripts are in $BUILD/gen/lua" "run make first"
for f in lua/*.lua "${generated[@]}" scripts/wrk/*.lua; do lint "luac -p $f" luac5.1 -p "$f"; done
finish
