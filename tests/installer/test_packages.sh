#!/usr/bin/env bash
# Builds the .deb packages and the tarball with cpack, checks their contents, unpacks them into a
# throwaway root and runs the packaged cloudhub and edgehub from it with the shipped configs and the
# unit files' own command lines; then systemd-analyze verify, lintian and makensis where installed.
# With QEDGE_INSTALL_TEST_DPKG=1 (as root, on a throwaway machine) it also installs the packages with
# dpkg -i, removes them (data and config stay) and purges them (both go).
#
# usage: test_packages.sh BUILD_DIR SOURCE_DIR       exit 0 pass, 1 fail, 77 skipped
# env:   QEDGE_PACKAGES  components the build has (cloudhub,edgehub,console), set by installer/CMakeLists.txt
set -uo pipefail

build=${1:?usage: test_packages.sh BUILD_DIR SOURCE_DIR}
src=${2:?usage: test_packages.sh BUILD_DIR SOURCE_DIR}
packages=${QEDGE_PACKAGES:-}
install_test=${QEDGE_INSTALL_TEST_DPKG:-0}

# Only this script's own switches survive: a stray QEDGE_* would override the shipped configs.
while IFS= read -r var; do
  case $var in QEDGE_PACKAGES | QEDGE_INSTALL_TEST_DPKG) ;; *) unset "$var" ;; esac
done < <(env | sed -n 's/^\(QEDGE_[A-Za-z0-9_]*\)=.*/\1/p')

failures=0
fail() { echo "FAIL: $*" >&2; failures=$((failures + 1)); }
pass() { echo "ok: $*"; }
note() { echo "note: $*"; }
has() { [[ ",$packages," == *",$1,"* ]]; }

if ! command -v dpkg-deb >/dev/null 2>&1; then
  echo "SKIP: dpkg-deb is missing (install dpkg-dev, or run scripts/setup); no package to test" >&2
  exit 77
fi
if [ -z "$packages" ]; then
  echo "SKIP: the build has neither cloudhub, edgehub nor qedge-console yet; nothing to package" >&2
  exit 77
fi

tmp=$(mktemp -d "${TMPDIR:-/tmp}/qedge-packages.XXXXXX")
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill -TERM "$p" 2>/dev/null || true; done
  for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done
  rm -rf "$tmp"
}
trap cleanup EXIT

# -- 1. cpack: DEB and TGZ into a private directory
echo "== cpack (DEB;TGZ) in $build"
mkdir -p "$tmp/cpack"
if ! (cd "$tmp/cpack" && cpack --config "$build/CPackConfig.cmake" -G "DEB;TGZ" -B "$tmp/cpack" >"$tmp/cpack.log" 2>&1); then
  tail -n 30 "$tmp/cpack.log" >&2
  echo "FAIL: cpack failed" >&2
  exit 1
fi
out=$tmp/cpack/packages
deb() { ls "$out"/"$1"_*.deb 2>/dev/null | head -n 1; }
if ! ls "$out"/*.deb >/dev/null 2>&1; then
  tail -n 30 "$tmp/cpack.log" >&2
  echo "FAIL: cpack wrote no .deb to $out" >&2
  exit 1
fi
tarball=$(ls "$out"/qedge-*.tar.gz 2>/dev/null | head -n 1)
[ -n "$tarball" ] && pass "tarball $(basename "$tarball")" || fail "no qedge-*.tar.gz"

# -- 2. package contents and control data
check_deb() { # component package files...
  local comp=$1 pkg=$2
  shift 2
  local file
  file=$(deb "$pkg")
  if [ -z "$file" ]; then fail "$pkg: no .deb"; return; fi
  dpkg-deb -c "$file" | awk '{print $NF}' | sed 's|^\./|/|' >"$tmp/$pkg.list"
  for f in "$@"; do
    grep -qx "$f" "$tmp/$pkg.list" || fail "$pkg: $f missing"
  done
  local depends
  depends=$(dpkg-deb -f "$file" Depends)
  [[ $depends == *libc6* ]] || fail "$pkg: Depends lacks the shlibdeps result (libc6): $depends"
  local exe
  exe=$(grep -m1 '^/usr/bin/' "$tmp/$pkg.list")
  : >"$tmp/exe.bin"
  [ -n "$exe" ] && dpkg-deb --fsys-tarfile "$file" | tar -xO ".$exe" >"$tmp/exe.bin" 2>/dev/null
  if grep -qa 'libQt6Core.so' "$tmp/exe.bin"; then
    [[ $depends == *libqt6core6* ]] || fail "$pkg: links Qt but Depends lacks libqt6core6: $depends"
  fi
  if [ "$comp" = cloudhub ] || [ "$comp" = edgehub ]; then
    # Whole listings into files first: grep -q closing a pipe early would fail it under pipefail.
    mkdir -p "$tmp/control/$pkg"
    dpkg-deb -e "$file" "$tmp/control/$pkg"
    grep -qx "/etc/qedge/$comp.conf" "$tmp/control/$pkg/conffiles" 2>/dev/null ||
      fail "$pkg: /etc/qedge/$comp.conf is not a conffile"
    for s in postinst prerm postrm; do
      [ -x "$tmp/control/$pkg/$s" ] || fail "$pkg: no executable $s"
      sh -n "$tmp/control/$pkg/$s" || fail "$pkg: $s is not valid sh"
    done
    [[ $depends == *libqt6sql6-sqlite* ]] || fail "$pkg: Depends lacks the SQLite driver plugin (libqt6sql6-sqlite)"
  fi
  pass "$pkg contents ($(wc -l <"$tmp/$pkg.list") entries, Depends: $depends)"
}
service_files() { # svc section
  echo "/usr/bin/$1" "/etc/qedge/$1.conf" "/usr/lib/systemd/system/qedge-$1.service" \
    "/usr/lib/sysusers.d/qedge-$1.conf" "/usr/share/man/man$2/$1.$2.gz" "/usr/share/doc/qedge-$1/copyright" \
    "/usr/share/doc/qedge-$1/changelog.gz"
}
has cloudhub && check_deb cloudhub qedge-cloudhub $(service_files cloudhub 8) /usr/share/doc/qedge-cloudhub/install.md
has edgehub && check_deb edgehub qedge-edgehub $(service_files edgehub 8)
has console && check_deb console qedge-console /usr/bin/qedge-console /usr/share/applications/qedge-console.desktop \
  /usr/share/icons/hicolor/scalable/apps/qedge-console.svg /usr/share/man/man1/qedge-console.1.gz

# -- 3. unpack into a throwaway root
root=$tmp/root
mkdir -p "$root"
for f in "$out"/*.deb; do dpkg-deb -x "$f" "$root" || fail "dpkg-deb -x $(basename "$f")"; done
for svc in cloudhub edgehub; do
  has "$svc" || continue
  if cmp -s <("$root/usr/bin/$svc" --print-default-config 2>/dev/null) "$root/etc/qedge/$svc.conf"; then
    pass "/etc/qedge/$svc.conf is $svc --print-default-config"
  else
    fail "/etc/qedge/$svc.conf differs from the packaged $svc --print-default-config"
  fi
done

# -- 4. systemd-analyze verify, with the package's binaries and man pages
if command -v systemd-analyze >/dev/null 2>&1; then
  mkdir -p "$tmp/units"
  for svc in cloudhub edgehub; do
    has "$svc" || continue
    unit=$tmp/units/qedge-$svc.service
    sed "s|/usr/bin/|$root/usr/bin/|" "$root/usr/lib/systemd/system/qedge-$svc.service" >"$unit"
    if MANPATH=$root/usr/share/man systemd-analyze verify "$unit" >"$tmp/verify-$svc.log" 2>&1; then
      pass "systemd-analyze verify qedge-$svc.service"
    else
      cat "$tmp/verify-$svc.log" >&2
      fail "systemd-analyze verify qedge-$svc.service"
    fi
  done
else
  note "systemd-analyze is missing (Debian package systemd): unit files not verified"
fi

# -- 5. run the unpacked services with the unit files' command lines
free_ports() { # count
  python3 - "$1" <<'PY' 2>/dev/null && return
import socket, sys
socks = [socket.socket() for _ in range(int(sys.argv[1]))]
for s in socks:
    s.bind(("127.0.0.1", 0))
print(" ".join(str(s.getsockname()[1]) for s in socks))
PY
  for _ in $(seq 1 "$1"); do echo -n "$((20000 + RANDOM % 30000)) "; done
}
exec_line() { # svc -> ExecStart of the packaged unit, pointed into the root
  sed -n 's/^ExecStart=//p' "$root/usr/lib/systemd/system/qedge-$1.service" |
    sed -e "s|/usr/bin/|$root/usr/bin/|" -e "s|/etc/qedge/|$root/etc/qedge/|g"
}
wait_for_line() { # file pattern seconds pid
  local i
  for i in $(seq 1 $(($3 * 10))); do
    grep -q "$2" "$1" 2>/dev/null && return 0
    kill -0 "$4" 2>/dev/null || break
    sleep 0.1
  done
  echo "--- last lines of $1:" >&2
  tail -n 20 "$1" >&2
  return 1
}
stop_and_check() { # name pid
  kill -TERM "$2" 2>/dev/null
  local rc=0
  wait "$2" || rc=$?
  local keep=() p
  for p in "${pids[@]}"; do [ "$p" = "$2" ] || keep+=("$p"); done
  pids=("${keep[@]}")
  [ "$rc" -eq 0 ] && pass "$1 exited 0 after SIGTERM" || fail "$1 exited $rc after SIGTERM"
}

data=$tmp/data
mkdir -p "$data"
read -r ws_port https_port admin_port local_port <<<"$(free_ports 4)"
if has cloudhub; then
  # shellcheck disable=SC2046 # the unit's command line is split like systemd splits it (no quoting there)
  $(exec_line cloudhub) --data-dir "$data/cloudhub" --bind 127.0.0.1 --websocket-port "$ws_port" \
    --https-port "$https_port" --admin-port "$admin_port" >"$data/cloudhub.log" 2>&1 &
  hub_pid=$!
  pids+=("$hub_pid")
  if wait_for_line "$data/cloudhub.log" "cloudhub ready" 30 "$hub_pid"; then
    pass "packaged cloudhub is ready (ports $ws_port/$https_port/$admin_port)"
  else
    fail "packaged cloudhub did not print 'cloudhub ready'"
  fi
  if has edgehub; then
    $(exec_line edgehub) --data-dir "$data/edgehub" --node pkg-test-node --hub "127.0.0.1:$ws_port" \
      --cert-server "https://127.0.0.1:$https_port" --token-file "$data/cloudhub/join.token" \
      --local-api-port "$local_port" >"$data/edgehub.log" 2>&1 &
    edge_pid=$!
    pids+=("$edge_pid")
    if wait_for_line "$data/edgehub.log" "connected to" 30 "$edge_pid"; then
      pass "packaged edgehub joined the packaged cloudhub"
    else
      fail "packaged edgehub did not print 'connected to'"
    fi
    stop_and_check edgehub "$edge_pid"
  else
    note "no edgehub in this build: join not tested"
  fi
  stop_and_check cloudhub "$hub_pid"
else
  note "no cloudhub in this build: services not started"
fi

# -- 6. lintian: errors fail, warnings and infos are listed (justified in docs/install.md)
if command -v lintian >/dev/null 2>&1; then
  lrc=0
  lintian --display-info --pedantic --fail-on error "$out"/*.deb >"$tmp/lintian.log" 2>&1 || lrc=$?
  if [ "$lrc" -eq 0 ]; then
    pass "lintian: no errors"
  elif [ "$lrc" -eq 1 ]; then
    grep '^E:' "$tmp/lintian.log" >&2
    fail "lintian reports errors"
  else
    cat "$tmp/lintian.log" >&2
    fail "lintian did not run (exit status $lrc)"
  fi
  grep -E '^(W|I|P):' "$tmp/lintian.log" | sed 's/^/  lintian /' || true
else
  note "lintian is missing: packages not linted"
fi

# -- 7. makensis compiles the Windows installer against a staged tree
if command -v makensis >/dev/null 2>&1; then
  stage=$tmp/stage
  if DESTDIR=$stage cmake --install "$build" --prefix /usr >"$tmp/stage.log" 2>&1; then
    if makensis -V4 -NOCD -DSTAGE="$stage/usr" -DCONFSTAGE="$stage/etc/qedge" -DEXE= \
      -DVERSION="$(sed -n 's/^set(CPACK_PACKAGE_VERSION "\(.*\)")/\1/p' "$build/CPackConfig.cmake")" \
      -DOUTFILE="$tmp/qedge-setup.exe" "$src/installer/windows/qedge.nsi" >"$tmp/makensis.log" 2>&1 &&
      [ -s "$tmp/qedge-setup.exe" ]; then
      pass "makensis compiled installer/windows/qedge.nsi ($(stat -c %s "$tmp/qedge-setup.exe") bytes)"
      for exe in cloudhub edgehub qedge-console; do
        comp=${exe#qedge-}
        has "$comp" || continue
        grep -q "^File: \"$exe\"" "$tmp/makensis.log" || fail "the Windows installer lacks $exe"
      done
    else
      tail -n 30 "$tmp/makensis.log" >&2
      fail "makensis failed on installer/windows/qedge.nsi"
    fi
  else
    tail -n 20 "$tmp/stage.log" >&2
    fail "cmake --install into the staging tree failed"
  fi
else
  note "makensis is missing (Debian package nsis): Windows installer not compiled"
fi

# -- 8. optional: a real dpkg -i / -r / -P round trip (root on a throwaway machine only)
if [ "$install_test" = 1 ]; then
  if [ "$(id -u)" -ne 0 ]; then
    fail "QEDGE_INSTALL_TEST_DPKG=1 needs root"
  elif dpkg-query -W 'qedge-*' >/dev/null 2>&1 && dpkg-query -W -f='${db:Status-Status}\n' 'qedge-*' | grep installed >/dev/null; then
    fail "qedge packages are already installed here; refusing to touch them"
  else
    "$src/tests/installer/dpkg_roundtrip.sh" "$out" "$packages" || fail "dpkg install/remove/purge round trip"
  fi
else
  note "dpkg -i round trip skipped (set QEDGE_INSTALL_TEST_DPKG=1 as root on a throwaway machine)"
fi

if [ "$failures" -gt 0 ]; then
  echo "test_packages: $failures failure(s)" >&2
  exit 1
fi
echo "test_packages: all checks passed"
