#!/usr/bin/env bash
# release_test — the release basics, on the built tree; needs no stack:
#   - every program's --version prints "NAME VERSION", VERSION being the
#     `git describe --always --dirty` of the checkout it was built from
#   - build/gen/version_string.h: "unknown" outside git, and also in a tree
#     that sits inside another repository; VERSION=... sets it; a make with
#     the same description leaves the file alone (nothing relinks)
#   - make install DESTDIR=<tmp> PREFIX=/usr installs the programs (printing
#     the same version), their man pages, LICENSE, CHANGELOG and share/seckill/
#   - the man pages exist, carry the version, and groff renders them without
#     a warning (-ww), as does man -l
#   - make uninstall with the same DESTDIR and PREFIX leaves no file behind;
#     a script of INSTALL_SCRIPTS has what it lists in the manifest removed too
#   - LICENSE is Debian's Apache-2.0 text (/usr/share/common-licenses), byte
#     for byte
. "$(dirname "$0")/../lib.sh"
ROOT=$(cd "$TESTS_DIR/.." && pwd)
case $BUILD in /*) B=$BUILD ;; *) B=$ROOT/$BUILD ;; esac
T=$(mktemp -d /tmp/seckill-release.XXXXXX)
trap 'rm -rf "$T"' EXIT
# MAKEFLAGS from an enclosing make (make test) would bring its jobserver and
# command-line variables; this make stands alone, on the same build as the suite.
MAKE=(env MAKEFLAGS= make -s -C "$ROOT")
case $BUILD in *build-san) MAKE+=(SANITIZE=1) ;; esac
PROGRAMS=(seckill-worker seckill-admin seckill-reconciler seckill-hello seckill-signin)
INSTALLED_PROGRAMS=(seckill-worker seckill-admin seckill-reconciler)
MANS=(man1/seckill-admin.1 man8/seckill-worker.8 man8/seckill-reconciler.8)

want=unknown
if [ "$(git -C "$ROOT" rev-parse --show-toplevel 2>/dev/null)" = "$ROOT" ]; then
  want=$(git -C "$ROOT" describe --always --dirty)
fi
echo "# git describe --always --dirty: $want"

# --- install ----------------------------------------------------------------------
R=$T/root
if "${MAKE[@]}" install DESTDIR="$R" PREFIX=/usr > "$T/install.log" 2>&1; then ok "make install DESTDIR=<tmp> PREFIX=/usr"
else not_ok "make install DESTDIR=<tmp> PREFIX=/usr" "exit $?"; sed 's/^/#   /' "$T/install.log" | tail -20; fi

# --- --version --------------------------------------------------------------------
for p in "${PROGRAMS[@]}"; do
  check_eq "$BUILD/$p --version prints its name and the build's describe" "$p $want" "$("$B/$p" --version 2>&1 | head -1)"
done
for p in "${INSTALLED_PROGRAMS[@]}"; do
  check_eq "the installed /usr/bin/$p --version: the same" "$p $want" "$("$R/usr/bin/$p" --version 2>&1 | head -1)"
done

# --- installed files --------------------------------------------------------------
for f in usr/share/doc/seckill/LICENSE usr/share/doc/seckill/CHANGELOG usr/share/seckill/lua/reserve.lua \
         usr/share/seckill/etc/cluster.conf usr/share/seckill/nginx/fastcgi_params usr/share/seckill/sql/schema.sql; do
  check "make install put /$f" test -s "$R/$f"
done
check_eq "the programs are installed mode 0755" "755 755 755" \
  "$(for p in "${INSTALLED_PROGRAMS[@]}"; do stat -c %a "$R/usr/bin/$p"; done | tr '\n' ' ' | sed 's/ $//')"
echo "# installed: $(find "$R" -type f | wc -l) files"

# --- man pages --------------------------------------------------------------------
for m in "${MANS[@]}"; do
  f=$R/usr/share/man/$m
  if [ ! -s "$f" ]; then not_ok "the man page /usr/share/man/$m is installed" "missing"; continue; fi
  ok "the man page /usr/share/man/$m is installed"
  check "$m: its header carries the version ($want)" grep -q "^\\.TH .*\"$(basename "${m%.*}") $want\"" "$f"
  check "$m: its OPTIONS come from --help (--version is listed)" grep -q -- '\\-\\-version' "$f"
  check_eq "$m: groff -man -ww renders it without a warning" "" "$(groff -man -ww -z -Tutf8 "$f" 2>&1)"
  if command -v man > /dev/null; then
    check_eq "$m: man -l renders it without a warning" "" "$(MANWIDTH=80 man --warnings -l "$f" 2>&1 > /dev/null)"
  fi
done

# --- uninstall --------------------------------------------------------------------
if "${MAKE[@]}" uninstall DESTDIR="$R" PREFIX=/usr > "$T/uninstall.log" 2>&1; then ok "make uninstall DESTDIR=<tmp> PREFIX=/usr"
else not_ok "make uninstall DESTDIR=<tmp> PREFIX=/usr" "exit $?"; sed 's/^/#   /' "$T/uninstall.log" | tail -20; fi
left=$(find "$R" ! -type d | sed "s|^$R||" | head -5 | tr '\n' ' ')
check_eq "make uninstall leaves no file behind" "" "$left"
check "and removes the project's own folders (share/seckill, share/doc/seckill)" \
  test ! -e "$R/usr/share/seckill" -a ! -e "$R/usr/share/doc/seckill"

# A script of INSTALL_SCRIPTS lists what it writes in $SECKILL_INSTALL_MANIFEST;
# uninstall removes that too, and nothing the script did not list.
R2=$T/root2
cat > "$T/install-extra" <<'SCRIPT'
#!/usr/bin/env bash
# install-extra --destdir D --prefix P --build B: a file rendered at install time.
set -euo pipefail
install -d "$2/etc/seckill-extra" && echo rendered > "$2/etc/seckill-extra/extra.conf"
echo /etc/seckill-extra/extra.conf >> "$SECKILL_INSTALL_MANIFEST"
SCRIPT
chmod +x "$T/install-extra"
mkdir -p "$R2/etc/seckill-extra" && echo mine > "$R2/etc/seckill-extra/operator.conf"
"${MAKE[@]}" install DESTDIR="$R2" PREFIX=/usr INSTALL_SCRIPTS="$T/install-extra" > "$T/install2.log" 2>&1
check "make install runs INSTALL_SCRIPTS with DESTDIR" test -s "$R2/etc/seckill-extra/extra.conf"
check "and the manifest lists what the script wrote" grep -qx /etc/seckill-extra/extra.conf "$R2/usr/share/seckill/install-manifest"
"${MAKE[@]}" uninstall DESTDIR="$R2" PREFIX=/usr > "$T/uninstall2.log" 2>&1
check_eq "make uninstall removes what the script listed, and leaves what it did not" "/etc/seckill-extra/operator.conf" \
  "$(find "$R2" ! -type d | sed "s|^$R2||" | tr '\n' ' ' | sed 's/ $//')"

# --- LICENSE ----------------------------------------------------------------------
if [ -f /usr/share/common-licenses/Apache-2.0 ]; then
  check "LICENSE is Debian's /usr/share/common-licenses/Apache-2.0" cmp -s "$ROOT/LICENSE" /usr/share/common-licenses/Apache-2.0
else
  not_ok "LICENSE is Debian's /usr/share/common-licenses/Apache-2.0" "no such file here (package base-files)"
fi

# --- the version header, outside this checkout ---------------------------------------
# The Makefile alone in a folder, with a build dir of its own: only the
# version header's rule runs.
header() { env MAKEFLAGS= make -s -C "$1" BUILD=b "${@:2}" b/gen/version_string.h > /dev/null 2>&1; sed -n 's/^#define SECKILL_VERSION "\(.*\)"$/\1/p' "$1/b/gen/version_string.h"; }
mkdir -p "$T/tarball" "$T/outer/sub"
cp "$ROOT/Makefile" "$T/tarball/"
check_eq "outside git (a tarball), the version is 'unknown'" "unknown" "$(header "$T/tarball")"
git -C "$T/outer" init -q && git -C "$T/outer" -c user.name=t -c user.email=t@t commit -q --allow-empty -m outer
cp "$ROOT/Makefile" "$T/outer/sub/"
check_eq "inside another repository, not its describe but 'unknown'" "unknown" "$(header "$T/outer/sub")"
check_eq "make VERSION=1.2.3 sets it" "1.2.3" "$(header "$T/tarball" VERSION=1.2.3)"
touch -d '2001-01-01' "$T/tarball/b/gen/version_string.h"
header "$T/tarball" VERSION=1.2.3 > /dev/null
check_eq "the same description again: the header is not rewritten" "2001-01-01" \
  "$(date -r "$T/tarball/b/gen/version_string.h" +%F)"
finish
