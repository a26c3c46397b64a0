#!/usr/bin/env bash
# Installs the QEdge .debs for real, runs the installed cloudhub as the qedge user, then checks that
# dpkg -r keeps data, config and user and that dpkg -P removes them. Root on a throwaway machine only:
# called by test_packages.sh when QEDGE_INSTALL_TEST_DPKG=1.
# usage: dpkg_roundtrip.sh PACKAGE_DIR "cloudhub,edgehub,console"
set -uo pipefail
out=$1
packages=$2
has() { [[ ",$packages," == *",$1,"* ]]; }
failures=0
fail() { echo "FAIL: dpkg: $*" >&2; failures=$((failures + 1)); }
pass() { echo "ok: dpkg: $*"; }

names=()
debs=()
for comp in cloudhub edgehub console; do
  has "$comp" || continue
  names+=("qedge-$comp")
  debs+=("$(ls "$out"/qedge-"$comp"_*.deb | head -n 1)")
done
services=()
for svc in cloudhub edgehub; do has "$svc" && services+=("$svc"); done
trap 'dpkg -P "${names[@]}" >/dev/null 2>&1 || true' EXIT

dpkg -i "${debs[@]}" >/tmp/qedge-dpkg-i.log 2>&1 || { cat /tmp/qedge-dpkg-i.log >&2; fail "dpkg -i"; exit 1; }
pass "dpkg -i ${names[*]}"
getent passwd qedge >/dev/null && pass "user qedge exists" || fail "no qedge user after install"
for svc in "${services[@]}"; do
  [ "$(stat -c %U "/var/lib/qedge/$svc" 2>/dev/null)" = qedge ] && pass "/var/lib/qedge/$svc owned by qedge" ||
    fail "/var/lib/qedge/$svc missing or not owned by qedge"
  echo "# kept across remove" >>"/etc/qedge/$svc.conf"
  echo marker >"/var/lib/qedge/$svc/roundtrip-marker"
  chown qedge:qedge "/var/lib/qedge/$svc/roundtrip-marker"
done

if has cloudhub; then
  # The unit's own command line, as the unit's user; data dir from the shipped config.
  cmd=$(sed -n 's/^ExecStart=//p' /usr/lib/systemd/system/qedge-cloudhub.service)
  log=$(mktemp)
  # shellcheck disable=SC2086
  setpriv --reuid=qedge --regid=qedge --clear-groups -- $cmd --bind 127.0.0.1 --websocket-port 0 --https-port 0 --admin-port 0 >"$log" 2>&1 &
  pid=$!
  for _ in $(seq 1 300); do grep -q "cloudhub ready" "$log" && break; kill -0 $pid 2>/dev/null || break; sleep 0.1; done
  grep -q "cloudhub ready" "$log" && pass "installed cloudhub ready as user qedge" || { cat "$log" >&2; fail "installed cloudhub not ready"; }
  kill -TERM $pid 2>/dev/null
  wait $pid && pass "installed cloudhub exited 0" || fail "installed cloudhub exit status $?"
  rm -f "$log"
  [ -s /var/lib/qedge/cloudhub/join.token ] && pass "cloudhub wrote its data dir" || fail "no /var/lib/qedge/cloudhub/join.token"
fi

dpkg -r "${names[@]}" >/dev/null 2>&1 || fail "dpkg -r"
for svc in "${services[@]}"; do
  [ ! -e "/usr/bin/$svc" ] || fail "/usr/bin/$svc left after remove"
  [ -f "/var/lib/qedge/$svc/roundtrip-marker" ] && pass "remove kept /var/lib/qedge/$svc" || fail "remove deleted /var/lib/qedge/$svc"
  grep -q "kept across remove" "/etc/qedge/$svc.conf" 2>/dev/null && pass "remove kept the edited /etc/qedge/$svc.conf" ||
    fail "remove lost /etc/qedge/$svc.conf"
done
getent passwd qedge >/dev/null && pass "remove kept user qedge" || fail "remove deleted user qedge"

dpkg -P "${names[@]}" >/dev/null 2>&1 || fail "dpkg -P"
for svc in "${services[@]}"; do
  [ ! -e "/var/lib/qedge/$svc" ] && pass "purge deleted /var/lib/qedge/$svc" || fail "purge left /var/lib/qedge/$svc"
  [ ! -e "/etc/qedge/$svc.conf" ] && pass "purge deleted /etc/qedge/$svc.conf" || fail "purge left /etc/qedge/$svc.conf"
done
getent passwd qedge >/dev/null && fail "purge left user qedge" || pass "purge deleted user qedge"
[ "$failures" -eq 0 ]
