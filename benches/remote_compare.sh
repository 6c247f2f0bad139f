#!/usr/bin/env bash
# Runs `true` on many ssh hosts through our `execo run` and its peers (xargs -P + ssh, the
# floor; pdsh; clush; parallel-ssh; Python execo 2.8.2), side by side in one run against
# one private loopback sshd, 3 times each, and prints the medians of wall and client CPU
# time and their ratios. Usage: bash benches/remote_compare.sh [--quick]
#   --quick  20 hosts instead of 100 and 500, 1 run instead of 3: a smoke test.
#
# Hosts are the aliases host-1 .. host-500 of a generated ssh_config (HostName 127.0.0.1,
# the private sshd's port) that every tool is given: the same connections, the same key
# exchange (curve25519-sha256), the same key. No tool asks for a terminal (no -tt).
# Wall: the whole command, start-up included. CPU: user + sys of the client side (the
# tool and every ssh it starts, ControlPersist masters included), not sshd's. Every run
# is checked: exit status, and the number of connections sshd accepted during it; the
# outputs of ours, xargs, pdsh and clush are counted by one more run of `echo`, and
# parallel-ssh's and the self-timed programs' in the timed runs.
set -euo pipefail
cd "$(dirname "$0")/.."
quick=""
case "${1:-}" in
  --quick) quick=1 ;;
  "") ;;
  *) echo "usage: bash benches/remote_compare.sh [--quick]" >&2; exit 2 ;;
esac
if [ -n "$quick" ]; then sizes=(20); runs=1; seq_hosts=20; else sizes=(100 500); runs=3; seq_hosts=100; fi
actions=10
maxhosts=500

# --- what it needs -------------------------------------------------------------------
# Debian's package and binary names: pdsh -> pdsh, clustershell -> clush, pssh ->
# parallel-ssh, openssh-server -> /usr/sbin/sshd, openssh-client -> ssh.
declare -A bin_of=([pdsh]=pdsh [clustershell]=clush [pssh]=parallel-ssh
  [openssh-server]=/usr/sbin/sshd [openssh-client]=ssh)
missing=()
for pkg in pdsh clustershell pssh openssh-server openssh-client; do
  command -v "${bin_of[$pkg]}" >/dev/null 2>&1 || missing+=("$pkg")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "installing ${missing[*]}..." >&2
  aptlog=$(mktemp)
  if ! { apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q "${missing[@]}"; } >"$aptlog" 2>&1; then
    echo "NOTE: apt-get install ${missing[*]} failed: $(tail -n 3 "$aptlog" | tr '\n' ' ')" >&2
  fi
  rm -f "$aptlog"
fi
have() { command -v "$1" >/dev/null 2>&1; }
for pkg in pdsh clustershell pssh; do
  have "${bin_of[$pkg]}" || echo "NOTE: ${bin_of[$pkg]} (Debian package $pkg) could not be installed: its column is empty" >&2
done
for b in /usr/sbin/sshd ssh ssh-keygen; do
  have "$b" || { echo "ERROR: $b is missing (openssh-server / openssh-client): cannot benchmark" >&2; exit 1; }
done

# 500 ssh at once, each with a few pipes, in one client: raise the open files limit to
# its hard limit for every tool.
soft=$(ulimit -Sn); hard=$(ulimit -Hn)
ulimit -n "$hard"
echo "open files limit: soft $soft -> $hard (the hard limit) for every tool" >&2

echo "building..." >&2
cargo build --release -q --bin execo --example remote_bench
ours=target/release/execo
ours_bench=target/release/examples/remote_bench

venv=target/bench-venv
py=""
if [ -x "$venv/bin/python" ] && "$venv/bin/python" -c 'import execo' 2>/dev/null; then
  py="$venv/bin/python"
elif python3 -m venv "$venv" >/dev/null 2>&1 && "$venv/bin/pip" install -q execo==2.8.2 >/dev/null 2>&1; then
  py="$venv/bin/python"
else
  echo "NOTE: could not install Python execo 2.8.2 with pip: its column is empty" >&2
fi
pyref=benches/ref/execo_remote_ref.py
run3py=benches/ref/remote_run3.py

# --- a private sshd on a free loopback port ----------------------------------------------
work=$(mktemp -d /tmp/execo-remote-bench.XXXXXX)
sshd_pid=""
cleanup() {
  if [ -n "$sshd_pid" ]; then
    # sshd's per-connection children first (a lingering ssh master keeps one), then sshd.
    for c in $(ps -o pid= --ppid "$sshd_pid" 2>/dev/null); do kill "$c" 2>/dev/null || true; done
    kill "$sshd_pid" 2>/dev/null || true
    wait "$sshd_pid" 2>/dev/null || true
  fi
  rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

ssh-keygen -q -t ed25519 -N '' -C execo-bench-host -f "$work/host_key"
ssh-keygen -q -t ed25519 -N '' -C execo-bench-user -f "$work/user_key"
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
# sshd wants its privilege separation directory (the package makes it at boot only).
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
  echo "Host $(seq -f 'host-%g' -s ' ' "$maxhosts")"
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
seq -f 'host-%g' "$maxhosts" >"$work/hosts"
if ! shlvl=$(ssh -F "$cfg" host-1 'echo $SHLVL' 2>&1); then
  echo "ERROR: ssh -F $cfg host-1 failed: $shlvl; sshd said: $(tail -n 5 "$work/sshd.log")" >&2
  exit 1
fi
echo "sshd pid $sshd_pid on 127.0.0.1:$port; the remote shell's SHLVL is $shlvl (2: no .bashrc)" >&2

# --- measuring -----------------------------------------------------------------------------
# run3 LABEL CONNECTIONS COUNT CMD...: runs CMD $runs times (see benches/ref/remote_run3.py);
# prints `wall_median cpu_median self_median own_cpu_median verdict`.
run3() {
  local label=$1 conns=$2 count=$3; shift 3
  python3 "$run3py" "$label" "$runs" "$work/sshd.log" "$conns" "$count" -- "$@"
}

rows=()
row() { rows+=("$1|$2|$3"); } # workload | tool | run3 output
checks=()
skip() { row "$1" "$2" "nan nan nan nan $3"; }

xargs_cmd() { # N: the floor, one plain ssh per host, all at once
  echo "seq -f host-%g $1 | xargs -P $1 -I{} ssh -F $cfg {} true"
}

for n in "${sizes[@]}"; do
  w="true on $n hosts"
  echo "running $w..." >&2
  row "$w" "ours (execo run)" "$(run3 "$w/ours" "$n" - "$ours" run -F "$cfg" -H "host-[1-$n]" true)"
  row "$w" "ours (Remote, library)" "$(run3 "$w/ours-lib" "$n" "self=$n" "$ours_bench" --config "$cfg" --hosts "$n")"
  row "$w" "xargs -P ssh" "$(run3 "$w/xargs" "$n" - sh -c "$(xargs_cmd "$n")")"
  if have pdsh; then
    row "$w" "pdsh" "$(run3 "$w/pdsh" "$n" - env PDSH_SSH_ARGS_APPEND="-F $cfg" pdsh -R ssh -S -f 500 -w "host-[1-$n]" true)"
  else skip "$w" "pdsh" "not-installed"; fi
  if have clush; then
    row "$w" "clush" "$(run3 "$w/clush" "$n" - clush -S -f 500 -o "-F $cfg" -w "host-[1-$n]" true)"
  else skip "$w" "clush" "not-installed"; fi
  if have parallel-ssh; then
    head -n "$n" "$work/hosts" >"$work/hosts-$n"
    row "$w" "parallel-ssh" "$(run3 "$w/parallel-ssh" "$n" "lines=$n:\[SUCCESS\] host-[0-9]+" parallel-ssh -p 500 -x "-F $cfg" -h "$work/hosts-$n" true)"
  else skip "$w" "parallel-ssh" "not-installed"; fi
  if [ -n "$py" ]; then
    row "$w" "Python execo 2.8.2" "$(run3 "$w/python" "$n" "self=$n" "$py" "$pyref" --config "$cfg" --hosts "$n")"
  else skip "$w" "Python execo 2.8.2" "not-installed"; fi

  # Outputs counted: one more run each with a command that prints (not timed).
  echo "checking outputs on $n hosts..." >&2
  check() {
    local c
    c=$(runs=1 run3 "$1" "$n" "$2" "${@:3}")
    checks+=("$1: ${c##* }")
  }
  check "ours: 'host-i: ok' lines on $n hosts" "lines=$n:^host-[0-9]+: ok$" "$ours" run -F "$cfg" -H "host-[1-$n]" echo ok
  check "xargs: 'host-i' lines on $n hosts" "lines=$n:^host-[0-9]+$" sh -c "seq -f host-%g $n | xargs -P $n -I{} ssh -F $cfg {} echo {}"
  if have pdsh; then
    check "pdsh: 'host-i: ok' lines on $n hosts" "lines=$n:^host-[0-9]+: ok$" env PDSH_SSH_ARGS_APPEND="-F $cfg" pdsh -R ssh -S -f 500 -w "host-[1-$n]" echo ok
  fi
  if have clush; then
    check "clush: 'host-i: ok' lines on $n hosts" "lines=$n:^host-[0-9]+: ok$" clush -S -f 500 -o "-F $cfg" -w "host-[1-$n]" echo ok
  fi
done

n=$seq_hosts
w="$actions x true on $n hosts"
echo "running $w..." >&2
k_n=$((actions * n))
row "$w" "ours (Remote x$actions)" "$(run3 "$w/ours" "$k_n" "self=$k_n" "$ours_bench" --config "$cfg" --hosts "$n" --actions "$actions")"
row "$w" "xargs -P ssh (x$actions)" "$(run3 "$w/xargs" "$k_n" - sh -c "for i in \$(seq $actions); do $(xargs_cmd "$n") || exit 1; done")"
row "$w" "ours --multiplex" "$(run3 "$w/ours-mux" "$n" "self=$k_n" "$ours_bench" --config "$cfg" --hosts "$n" --actions "$actions" --multiplex)"
# The floor with multiplexing: the same xargs, with one OpenSSH ControlMaster per alias
# (made by the first round, kept by ControlPersist, told to exit at the end).
mkdir -m 0700 "$work/xmux"
xmux="-o ControlMaster=auto -o ControlPath=$work/xmux/%n -o ControlPersist=60"
row "$w" "xargs -P ssh + ControlMaster" "$(run3 "$w/xargs-mux" "$n" - sh -c "for i in \$(seq $actions); do seq -f host-%g $n | xargs -P $n -I{} ssh -F $cfg $xmux {} true || exit 1; done; seq -f host-%g $n | xargs -P $n -I{} ssh -F $cfg $xmux -O exit {} 2>/dev/null")"
if [ -n "$py" ]; then
  row "$w" "Python execo 2.8.2" "$(run3 "$w/python" "$k_n" "self=$k_n" "$py" "$pyref" --config "$cfg" --hosts "$n" --actions "$actions")"
  mkdir -m 0700 "$work/pymux"
  row "$w" "Python execo + ControlMaster" "$(run3 "$w/python-mux" "$n" "self=$k_n" "$py" "$pyref" --config "$cfg" --hosts "$n" --actions "$actions" --multiplex "$work/pymux")"
else
  skip "$w" "Python execo 2.8.2" "not-installed"
  skip "$w" "Python execo + ControlMaster" "not-installed"
fi

python3 - "$runs" "${rows[@]}" <<'PY'
import sys, math
runs, rows = sys.argv[1], [r.split("|") for r in sys.argv[2:]]
nan = float("nan")
def num(s):
    try:
        return float(s)
    except ValueError:
        return nan
def fmt(v, spec):
    width = int(spec.split(".")[0])
    return f"{'-':>{width}}" if math.isnan(v) else format(v, spec)
print()
print(f"medians of {runs} run(s); wall: whole command; CPU: client user+sys (ssh included);")
print(f"self: in-program time; own CPU: the program's own user+sys, its ssh children excluded")
print(f"ratio wall: vs the xargs floor of the same workload; ratio CPU: vs ours (the workload's first row)")
print()
head = (f"{'workload':<24} {'tool':<30} {'wall s':>8} {'CPU s':>8} {'self s':>8} {'own CPU':>8} "
        f"{'wall/xargs':>10} {'CPU/ours':>9}  check")
print(head)
print("-" * len(head))
last = None
floor = ours = nan
for w, tool, res in rows:
    f = res.split()
    wall, cpu, slf, own, verdict = num(f[0]), num(f[1]), num(f[2]), num(f[3]), f[4]
    if w != last:
        if last is not None:
            print()
        last = w
        group = [r for r in rows if r[0] == w]
        ours = num(group[0][2].split()[1])
        floor = next((num(r[2].split()[0]) for r in group if r[1].startswith("xargs")), nan)
    rw = wall / floor if floor and not math.isnan(floor) else nan
    rc = cpu / ours if ours and not math.isnan(ours) else nan
    print(f"{w:<24} {tool:<30} {fmt(wall, '8.3f')} {fmt(cpu, '8.3f')} {fmt(slf, '8.3f')} {fmt(own, '8.3f')} "
          f"{fmt(rw, '10.2f')} {fmt(rc, '9.2f')}  {verdict}")
PY
echo
echo "output checks (one run each, not timed):"
for c in "${checks[@]}"; do echo "  $c"; done
