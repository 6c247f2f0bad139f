#!/usr/bin/env bash
# Broadcast one file to many hosts, side by side in one run against one private loopback
# sshd with host aliases (each host its own destination directory, all on this disk):
# local `cp` x N (the machine's limit: no network, no ssh), `xargs -P N scp`, Python
# execo 2.8.2's `Put` (scp per host), `execo put` (scp), `execo put --taktuk`
# (TakTuk's tree), `execo put --chain` (ChainPut: relays host to host). Every copy is
# checked (cmp) after each run. Then the peak RSS of every ChainPut relay (GNU time
# around `execo relay`), for this size and (BIG=1, the default) for a 1 GiB file; the
# same on NETNS (default 8, 0: none) network-namespace hosts when run as root.
# Usage: bash benches/broadcast_compare.sh [HOSTS] [MIB]   (default 20 hosts, 64 MiB)
set -euo pipefail
cd "$(dirname "$0")/.."
n=${1:-20}
mib=${2:-64}
for b in /usr/sbin/sshd ssh ssh-keygen scp taktuk bc /usr/bin/time; do
  command -v "$b" >/dev/null 2>&1 || {
    echo "ERROR: $b is missing: run scripts/deps.sh (openssh-server, openssh-client, taktuk, bc, time)" >&2
    exit 1
  }
done
echo "building..." >&2
cargo build --release -q --bin execo
ours=$(cargo metadata --format-version 1 --no-deps | python3 -c 'import json,sys; print(json.load(sys.stdin)["target_directory"])')/release/execo
venv=$(dirname "$ours")/../bench-venv
py=""
if [ -x "$venv/bin/python" ] && "$venv/bin/python" -c 'import execo' 2>/dev/null; then
  py="$venv/bin/python"
elif python3 -m venv "$venv" >/dev/null 2>&1 && "$venv/bin/pip" install -q execo==2.8.2 >/dev/null 2>&1; then
  py="$venv/bin/python"
else
  echo "NOTE: could not install Python execo 2.8.2 with pip: its row is left out" >&2
fi

work=$(mktemp -d /tmp/execo-broadcast-bench.XXXXXX)
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
Subsystem sftp internal-sftp
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

src="$work/image.bin"
head -c "$((mib << 20))" /dev/urandom >"$src"
# The current host set: its hosts file ($hf) and count ($hn).
fresh() {
  rm -rf "$work/d"
  for h in $(cat "$hf"); do mkdir -p "$work/d/$h"; done
  sync
}
check() {
  for h in $(cat "$hf"); do
    cmp -s "$src" "$work/d/$h/image.bin" || { echo "ERROR: $1: $h has no good copy" >&2; exit 1; }
  done
}
# Runs a broadcast on fresh directories, checks every copy, prints NAME SECONDS.
timed() {
  local name=$1
  shift
  fresh
  local t0 t1
  t0=$(date +%s.%N)
  "$@" >"$work/out" 2>&1 || { echo "ERROR: $name failed: $(tail -n 5 "$work/out")" >&2; exit 1; }
  t1=$(date +%s.%N)
  check "$name"
  printf '%-40s %6.2f s\n' "$name" "$(echo "$t1 - $t0" | bc)"
}
cp_all() { for h in $(cat "$hf"); do cp "$src" "$work/d/$h/"; done; }
scp_all() { xargs -P "$hn" -I{} scp -q -F "$cfg" "$src" "{}:$work/d/{}/" <"$hf"; }
py_put() {
  "$py" - "$hf" "$cfg" "$src" "$work/d" <<'PY'
import execo, sys
hf, cfg, src, d = sys.argv[1:]
execo.configuration['log_level'] = 50
execo.default_connection_params['ssh_options'] = ('-F', cfg)
execo.default_connection_params['scp_options'] = ('-F', cfg)
p = execo.Put(open(hf).read().split(), [src], d + "/{{{host}}}/").run()
sys.exit(0 if p.ok else 1)
PY
}
ours_put() { "$ours" put -F "$cfg" --hostfile "$hf" "$@" "$src" "$work/d/<<host>>"; }
printf '#!/bin/sh\nexec /usr/bin/time -f %%M -a -o "%s" "%s" "$@"\n' "$work/rss" "$ours" >"$work/relay"
chmod +x "$work/relay"
rss() {
  rm -f "$work/rss"
  timed "execo put --chain, $1, timed relays" ours_put --chain --relay "$work/relay"
  echo "  peak RSS of the $(wc -l <"$work/rss") relays: max $(sort -n "$work/rss" | tail -n 1) KiB"
}
side_by_side() {
  echo "broadcast of $mib MiB to $hn $1 ($(nproc) cores; load $(cut -d' ' -f1-3 /proc/loadavg))"
  timed "cp x $hn (local limit)" cp_all
  timed "xargs -P$hn scp" scp_all
  if [ -n "$py" ]; then timed "Python execo Put" py_put; fi
  timed "execo put (scp)" ours_put
  timed "execo put --taktuk" ours_put --taktuk
  timed "execo put --chain (ChainPut)" ours_put --chain --relay "$ours"
  rss "$mib MiB"
}

hf="$work/hosts" hn=$n
side_by_side "loopback hosts"

# Network-namespace hosts, each with its own sshd and address on a private bridge.
nsn=${NETNS:-8}
if [ "$nsn" -gt 0 ] && [ "$(id -u)" = 0 ] && command -v ip >/dev/null; then
  tag=xb$(($$ % 100000))
  sub=$(($$ % 250 + 1))
  nscleanup() {
    for p in $(cat "$work/ns-pids" 2>/dev/null); do kill "$p" 2>/dev/null || true; done
    for i in $(seq "$nsn"); do
      ip link del "${tag}v$i" 2>/dev/null || true
      ip netns del "${tag}n$i" 2>/dev/null || true
    done
    ip link del "${tag}br" 2>/dev/null || true
    cleanup
  }
  trap nscleanup EXIT
  ip link add "${tag}br" type bridge
  ip addr add "10.215.$sub.1/24" dev "${tag}br"
  ip link set "${tag}br" up
  : >"$work/ns-hosts"
  for i in $(seq "$nsn"); do
    ns=${tag}n$i addr=10.215.$sub.$((10 + i))
    ip netns add "$ns"
    ip link add "${tag}v$i" type veth peer name eth0 netns "$ns"
    ip link set "${tag}v$i" master "${tag}br" up
    ip -n "$ns" addr add "$addr/24" dev eth0
    ip -n "$ns" link set eth0 up
    ip -n "$ns" link set lo up
    ip netns exec "$ns" /usr/sbin/sshd -D -e -f "$work/sshd_config" -o "ListenAddress=$addr:22" \
      -o "PidFile=$work/sshd-$i.pid" 2>>"$work/sshd.log" &
    echo $! >>"$work/ns-pids"
    echo "$addr" >>"$work/ns-hosts"
  done
  for a in $(cat "$work/ns-hosts"); do
    for _ in $(seq 100); do
      ssh -F "$cfg" -o Port=22 "$a" true 2>/dev/null && break
      sleep 0.1
    done
  done
  hf="$work/ns-hosts" hn=$nsn
  side_by_side "network-namespace hosts"
fi

if [ "${BIG:-1}" = 1 ]; then
  head -c "$((1 << 30))" /dev/urandom >"$src"
  hf="$work/hosts" hn=$n
  rss "1 GiB to $n loopback hosts"
fi
