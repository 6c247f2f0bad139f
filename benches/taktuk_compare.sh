#!/usr/bin/env bash
# `true` on many hosts three ways, side by side in one run against one private loopback
# sshd with host aliases: our TakTuk action (`execo run --taktuk`, one taktuk driving
# an ssh tree), our `Remote` (`execo run`, one ssh per host) and the `taktuk` command
# line itself. Wall time and client CPU (user + sys of the tool and every process it
# waited for: taktuk, ssh), each with the open files limit at its hard limit and at 1024,
# where TakTuk's tree should need few descriptors.
# Usage: bash benches/taktuk_compare.sh [HOSTS]   (default 500)
set -euo pipefail
cd "$(dirname "$0")/.."
n=${1:-500}
for b in /usr/sbin/sshd ssh ssh-keygen taktuk; do
  command -v "$b" >/dev/null 2>&1 || {
    echo "ERROR: $b is missing: run scripts/deps.sh (openssh-server, openssh-client, taktuk)" >&2
    exit 1
  }
done
echo "building..." >&2
cargo build --release -q --bin execo
ours=$PWD/target/release/execo
[ -x "$ours" ] || ours=$(cargo metadata --format-version 1 --no-deps | python3 -c 'import json,sys; print(json.load(sys.stdin)["target_directory"])')/release/execo

work=$(mktemp -d /tmp/execo-taktuk-bench.XXXXXX)
sshd_pid=""
cleanup() {
  if [ -n "$sshd_pid" ]; then
    for c in $(ps -o pid= --ppid "$sshd_pid" 2>/dev/null); do kill "$c" 2>/dev/null || true; done
    kill "$sshd_pid" 2>/dev/null || true
    wait "$sshd_pid" 2>/dev/null || true
  fi
  rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

ssh-keygen -q -t ed25519 -N '' -f "$work/host_key"
ssh-keygen -q -t ed25519 -N '' -f "$work/user_key"
cp "$work/user_key.pub" "$work/authorized_keys"
port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
cat >"$work/sshd_config" <<EOF
ListenAddress 127.0.0.1:$port
HostKey $work/host_key
AuthorizedKeysFile $work/authorized_keys
PidFile $work/sshd.pid
UsePAM no
StrictModes no
PermitRootLogin prohibit-password
PubkeyAuthentication yes
PasswordAuthentication no
KbdInteractiveAuthentication no
MaxStartups 1000:30:2000
MaxSessions 100
SetEnv SHLVL=1
EOF
[ -d /run/sshd ] || mkdir -p -m 0755 /run/sshd
/usr/sbin/sshd -D -e -f "$work/sshd_config" 2>"$work/sshd.log" &
sshd_pid=$!
for _ in $(seq 100); do
  if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then break; fi
  kill -0 "$sshd_pid" 2>/dev/null || { echo "ERROR: sshd exited: $(cat "$work/sshd.log")" >&2; exit 1; }
  sleep 0.1
done
cfg="$work/ssh_config"
{
  echo "Host $(seq -f 'host-%g' -s ' ' "$n")"
  echo "  HostName 127.0.0.1"
  echo "  Port $port"
  echo "Host *"
  echo "  User root"
  echo "  IdentityFile $work/user_key"
  echo "  IdentitiesOnly yes"
  echo "  StrictHostKeyChecking no"
  echo "  UserKnownHostsFile /dev/null"
  echo "  LogLevel ERROR"
  echo "  BatchMode yes"
  echo "  KexAlgorithms curve25519-sha256"
} >"$cfg"
seq -f 'host-%g' "$n" >"$work/hosts"
ssh -F "$cfg" host-1 true || { echo "ERROR: ssh to the private sshd failed: $(tail -n 5 "$work/sshd.log")" >&2; exit 1; }

# One measured run (in a subshell of its own: the CPU is what this subshell's children
# used, from its cutime + cstime, $BASHPID's not $$'s): prints "wall cpu status lines" (lines: `host-N: ok` lines of output).
measure() {
  local limit=$1; shift
  local out="$work/out" t0 t1 c0 c1 st me=$BASHPID
  read -r c0 < <(awk '{print $16+$17}' "/proc/$me/stat")
  t0=$(date +%s.%N)
  set +e
  ( ulimit -n "$limit"; "$@" ) >"$out" 2>"$work/err"
  st=$?
  set -e
  t1=$(date +%s.%N)
  read -r c1 < <(awk '{print $16+$17}' "/proc/$me/stat")
  local tck; tck=$(getconf CLK_TCK)
  printf '%.2f %.2f %d %d\n' "$(echo "$t1 - $t0" | bc -l)" "$(echo "($c1 - $c0) / $tck" | bc -l)" "$st" "$(grep -c ': ok$' "$out" || true)"
}

hard=$(ulimit -Hn)
tk_cli() {
  # TakTuk's own output: one `host-N: ok` line per host through its output template.
  taktuk -s -c "ssh -F $cfg" -o output='"$host: $line\n"' -o status -o state -o info \
    -f "$work/hosts" broadcast exec [ echo ok ] </dev/null
}
echo "hosts: $n; open files: hard limit $hard, then 1024; one run each" >&2
printf '%-28s %-8s %8s %8s %6s %8s\n' tool nofile wall_s cpu_s exit ok_lines
for limit in "$hard" 1024; do
  for tool in taktuk_remote remote taktuk_cli; do
    case $tool in
      taktuk_remote) r=$(measure "$limit" "$ours" run --taktuk -F "$cfg" -H "host-[1-$n]" echo ok) ;;
      remote) r=$(measure "$limit" "$ours" run -F "$cfg" -H "host-[1-$n]" echo ok) ;;
      taktuk_cli) r=$(measure "$limit" tk_cli) ;;
    esac
    read -r wall cpu st ok <<<"$r"
    printf '%-28s %-8s %8s %8s %6s %8s\n' "$tool" "$limit" "$wall" "$cpu" "$st" "$ok"
    [ "$st" = 0 ] || echo "  ($tool stderr: $(tail -n 2 "$work/err" | tr '\n' ' ' | cut -c1-300))" >&2
  done
done
