#!/usr/bin/env bash
# The test OAR: a real OAR 2.5.9 (Debian's oar-server, oar-user, oar-node) on
# PostgreSQL, whose nodes are network-namespace hosts with their own sshd, reached
# through a frontend sshd on loopback as the user alice, as a Grid'5000 user reaches
# a site. The OAR tests (tests/it/oar.rs), the g5k_reserve_run experiment's test and
# benches/oar_compare.sh use it. Run as root; scripts/deps.sh installs the packages.
#
#   oar-testbed.sh up       start everything (idempotent; quick when already up;
#                           safe against concurrent callers), print the state file
#   oar-testbed.sh down     stop everything `up` started
#   oar-testbed.sh status   whether it is up
#   oar-testbed.sh cut I    link of node I down (packets silently dropped)
#   oar-testbed.sh heal I   link of node I up again
#
# The state file ($DIR/state, shell `key=value` lines) gives what tests need:
# frontend_port, key, ssh_config, user, site, nodes (oarn-1 oarn-2 oarn-3: cluster
# `oarn`), fault_node (oarn-4, cluster `oarf`: the test that cuts a node off asks for it
# and cuts it only while its job holds it, so that no other job has it then).
# Addresses: bridge oarn-br 10.216.255.1/16; node I at 10.216.0.(10+I).
# The lock's fd (9) is closed in every daemon started, or they would hold it forever.
# Times: the OAR server and the frontend run in Europe/Paris, as on Grid'5000.
set -euo pipefail

DIR=${EXECO_OAR_TESTBED_DIR:-/tmp/execo-oar-testbed}
LOCK=/tmp/execo-oar-testbed.lock
PREFIX=oarn
BR=${PREFIX}-br
BR_IP=10.216.255.1
N=4 # oarn-1..3 for the tests, oarn-4 for the cut-off test
TAG="# execo-oar-testbed"
PG_VER=15
CONF=/etc/oar/oar.conf
SITE=testsite
export TZ=Europe/Paris

log() { echo "[oar-testbed] $*" >&2; }
die() { echo "[oar-testbed] error: $*" >&2; exit 1; }
ip_of() { echo "10.216.0.$((10 + $1))"; }
alive() { [ -f "$1" ] && kill -0 "$(cat "$1")" 2>/dev/null; }

need_tools() {
  local p missing=()
  for p in oar-server oar-user oar-node postgresql; do
    dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p")
  done
  ((${#missing[@]} == 0)) || die "missing packages: ${missing[*]}; install them with \
\`apt-get install oar-server oar-server-pgsql oar-user oar-user-pgsql oar-node postgresql\` \
(scripts/deps.sh does)"
  [ "$(id -u)" = 0 ] || die "needs root (network namespaces, the OAR server)"
}

is_up() {
  [ -f "$DIR/state" ] && alive /var/run/oar-server.pid && alive "$DIR/frontend-sshd.pid" || return 1
  alive "$DIR/oarnode-sshd-deploy.pid" || return 1
  local i
  for i in $(seq 1 $N); do
    alive "$DIR/sshd-$i.pid" && alive "$DIR/oarnode-sshd-$i.pid" || return 1
  done
}

configure_oar() {
  sed -i 's/^DB_BASE_PASSWD=.*/DB_BASE_PASSWD="oarpw"/; s/^DB_BASE_PASSWD_RO=.*/DB_BASE_PASSWD_RO="oarropw"/' $CONF
  # no cpuset manager in a container
  sed -i 's/^JOB_RESOURCE_MANAGER_PROPERTY_DB_FIELD=/#JOB_RESOURCE_MANAGER_PROPERTY_DB_FIELD=/' $CONF
  # oarexec on the nodes calls the server back on the bridge
  sed -i "s/^SERVER_HOSTNAME=.*/SERVER_HOSTNAME=\"$BR_IP\"/" $CONF
  # oarwalltime (the REST backend's walltime extension), unbounded for users
  sed -i '/^WALLTIME_CHANGE_ENABLED=/d; /^WALLTIME_MAX_INCREASE=/d' $CONF
  printf 'WALLTIME_CHANGE_ENABLED="YES"\nWALLTIME_MAX_INCREASE=-1\n' >>$CONF
  # deploy jobs' script runs on this host (see deploy_host)
  sed -i 's/^#\?DEPLOY_HOSTNAME=.*/DEPLOY_HOSTNAME="127.0.0.1"/' $CONF
}

keys() {
  mkdir -p "$DIR" /run/sshd
  [ -f "$DIR/hostkey" ] || ssh-keygen -q -t ed25519 -N "" -f "$DIR/hostkey"
  [ -f "$DIR/id_ed25519" ] || ssh-keygen -q -t ed25519 -N "" -f "$DIR/id_ed25519"
  cp "$DIR/id_ed25519.pub" "$DIR/authorized_keys"
  chmod 644 "$DIR/authorized_keys"
  cat >"$DIR/sshd_config" <<EOF
HostKey $DIR/hostkey
PermitRootLogin prohibit-password
PubkeyAuthentication yes
PasswordAuthentication no
KbdInteractiveAuthentication no
UsePAM no
AuthorizedKeysFile $DIR/authorized_keys
StrictModes no
PrintMotd no
MaxStartups 200:30:400
MaxSessions 100
SetEnv SHLVL=1 TZ=Europe/Paris
Subsystem sftp internal-sftp
EOF
}

netns_hosts() {
  local i ns ip veth
  if ! ip link show "$BR" >/dev/null 2>&1; then
    ip link add "$BR" type bridge
    ip addr add $BR_IP/16 dev "$BR"
  fi
  ip link set "$BR" up
  sed -i "/$TAG\$/d" /etc/hosts
  for i in $(seq 1 $N); do
    ns=$PREFIX$i ip=$(ip_of "$i") veth=$PREFIX-v$i
    if ! ip netns list | grep -qw "^$ns"; then
      ip netns add "$ns"
      ip link add "$veth" type veth peer name eth0 netns "$ns"
      ip link set "$veth" master "$BR" up
      ip -n "$ns" addr add "$ip/16" dev eth0
      ip -n "$ns" link set eth0 up
      ip -n "$ns" link set lo up
    fi
    ip link set "$veth" up # healed, if a test left it cut
    echo "$ip $PREFIX-$i $TAG" >>/etc/hosts
    if ! alive "$DIR/sshd-$i.pid"; then
      # its own UTS namespace: `hostname` on the node says its name
      ip netns exec "$ns" unshare --uts sh -c "hostname $PREFIX-$i && exec /usr/sbin/sshd \
        -f $DIR/sshd_config -o ListenAddress=$ip -o PidFile=$DIR/sshd-$i.pid -E $DIR/sshd-$i.log" 9>&-
    fi
  done
}

node_sshds() {
  # the oar-node sshd (port 6667, user oar) inside each host's namespaces, so that
  # job commands run there
  local i ip k
  for i in $(seq 1 $N); do
    ip=$(ip_of "$i")
    for k in $(seq 1 50); do [ -s "$DIR/sshd-$i.pid" ] && break; sleep 0.1; done
    alive "$DIR/oarnode-sshd-$i.pid" ||
      nsenter -t "$(cat "$DIR/sshd-$i.pid")" -n -u /usr/sbin/sshd -f /etc/oar/sshd_config \
        -o ListenAddress="$ip" -o PidFile="$DIR/oarnode-sshd-$i.pid" -E "$DIR/oarnode-sshd-$i.log" 9>&-
  done
}

deploy_host() {
  # OAR runs a deploy job's script (oarexec) on DEPLOY_HOSTNAME, not on its first node
  # (which kadeploy reinstalls): on Grid'5000 a host beside the frontend. Here the
  # frontend's own host, through an oar-node sshd on 127.0.0.1:6667; without it bipbip
  # cannot start deploy jobs and they end in Error.
  alive "$DIR/oarnode-sshd-deploy.pid" ||
    /usr/sbin/sshd -f /etc/oar/sshd_config -o ListenAddress=127.0.0.1 \
      -o PidFile="$DIR/oarnode-sshd-deploy.pid" -E "$DIR/oarnode-sshd-deploy.log" 9>&-
}

wait_tcp() { # host port what
  local k
  for k in $(seq 1 100); do
    timeout 1 bash -c "exec 3<>/dev/tcp/$1/$2" 2>/dev/null && return 0
    sleep 0.1
  done
  die "$3 ($1:$2) does not accept connections"
}

database() {
  if ! pg_isready -q -h 127.0.0.1; then
    pg_ctlcluster $PG_VER main start 2>/dev/null 9>&- || true
    touch "$DIR/started-postgres" # `down` stops it again
  fi
  local k
  for k in $(seq 1 100); do pg_isready -q -h 127.0.0.1 && break; sleep 0.1; done
  pg_isready -q -h 127.0.0.1 || die "PostgreSQL did not start"
  # a fresh database every time the server starts: no job of a previous run (killed
  # with the server) holds nodes
  oar-database --drop --db-is-local -y >/dev/null 2>&1 || true
  oar-database --create --db-is-local -y >/dev/null
}

resources() {
  local p i c cluster
  for p in cpu core; do oarproperty -a $p >/dev/null; done
  for p in host cluster vlan subnet_address maintenance; do oarproperty -a $p -c >/dev/null; done
  oarproperty -a subnet_prefix >/dev/null
  # Grid'5000's job types that OAR's stock rule #16 does not know: execo's
  # `origin=execo` (on every job) and the usual ones
  oaradmissionrules -s 16 -f -H >"$DIR/rule16.pl"
  chmod 644 "$DIR/rule16.pl" # read by user oar
  grep -q "unknown job type" "$DIR/rule16.pl" || die "OAR's admission rule 16 is not the job type check"
  sed -i 's|^    qr/^state=permissive\$/,|&\n    qr/^origin=[\\w.-]+$/, qr/^allow_classic_ssh$/, qr/^destructive$/, qr/^night$/, qr/^day$/,|' "$DIR/rule16.pl"
  grep -q "origin=" "$DIR/rule16.pl" || die "could not allow origin= in OAR's admission rule 16"
  oaradmissionrules -m 16 -r "$DIR/rule16.pl" >/dev/null
  for i in $(seq 1 $N); do
    cluster=$PREFIX
    # the fault node: cut only while the cut-off test's job holds it, so no other job
    # has it then
    [ "$i" = $N ] && cluster=oarf
    for c in 0 1; do
      oarnodesetting -a -h "$PREFIX-$i" -p host="$PREFIX-$i" -p cluster=$cluster -p cpu=$i \
        -p core=$((2 * i + c)) -p cpuset=$c -p maintenance=NO -p deploy=YES >/dev/null
    done
  done
}

stop_server() {
  # the init script's stop does not match the perl process: by its pid file
  local pf=/var/run/oar-server.pid pid k
  [ -f $pf ] || return 0
  pid=$(cat $pf)
  kill -TERM "$pid" 2>/dev/null || true
  for k in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  kill -KILL "$pid" 2>/dev/null || true
  rm -f $pf
}

frontend() {
  local port
  if ! alive "$DIR/frontend-sshd.pid"; then
    port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
    /usr/sbin/sshd -f "$DIR/sshd_config" -o ListenAddress=127.0.0.1:"$port" \
      -o PidFile="$DIR/frontend-sshd.pid" -E "$DIR/frontend-sshd.log" 9>&-
    echo "$port" >"$DIR/frontend-port"
  fi
  port=$(cat "$DIR/frontend-port")
  {
    echo "Host $SITE"
    echo "  HostName 127.0.0.1"
    echo "  Port $port"
    local i
    for i in $(seq 1 $N); do printf 'Host %s\n  HostName %s\n' "$PREFIX-$i" "$(ip_of "$i")"; done
    echo "Host *"
    echo "  User alice"
    echo "  IdentityFile $DIR/id_ed25519"
    echo "  StrictHostKeyChecking no"
    echo "  UserKnownHostsFile /dev/null"
    echo "  LogLevel ERROR"
    echo "  BatchMode yes"
    echo "  ConnectTimeout 5"
    echo "  ServerAliveInterval 1"
    echo "  ServerAliveCountMax 3"
    echo "  KexAlgorithms curve25519-sha256"
  } >"$DIR/ssh_config"
  wait_tcp 127.0.0.1 "$port" "the frontend sshd"
}

up() {
  need_tools
  if is_up; then cat "$DIR/state"; return 0; fi
  local t0
  t0=$(date +%s.%N)
  rm -f "$DIR/state"
  stop_server
  configure_oar
  keys
  id alice >/dev/null 2>&1 || useradd -m -s /bin/bash -p '*' alice # '*': sshd accepts keys
  netns_hosts
  node_sshds
  deploy_host
  database
  resources
  /etc/init.d/oar-server start >/dev/null 9>&-
  alive /var/run/oar-server.pid || die "the OAR server did not start (see /var/log/oar.log)"
  frontend
  wait_tcp 127.0.0.1 6667 "the deploy host's oar-node sshd"
  local i
  for i in $(seq 1 $N); do wait_tcp "$(ip_of "$i")" 22 "node $i's sshd"; wait_tcp "$(ip_of "$i")" 6667 "node $i's oar-node sshd"; done
  {
    echo "dir=$DIR"
    echo "site=$SITE"
    echo "user=alice"
    echo "frontend_port=$(cat "$DIR/frontend-port")"
    echo "key=$DIR/id_ed25519"
    echo "ssh_config=$DIR/ssh_config"
    echo "nodes=$(for i in $(seq 1 $((N - 1))); do printf '%s ' "$PREFIX-$i"; done | sed 's/ $//')"
    echo "fault_node=$PREFIX-$N"
  } >"$DIR/state.tmp"
  mv "$DIR/state.tmp" "$DIR/state"
  log "up in $(awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN{printf "%.1f", b-a}') s"
  cat "$DIR/state"
}

down() {
  local i ns p k
  rm -f "$DIR/state"
  stop_server
  alive "$DIR/frontend-sshd.pid" && kill "$(cat "$DIR/frontend-sshd.pid")"
  rm -f "$DIR/frontend-sshd.pid" "$DIR/frontend-port"
  alive "$DIR/oarnode-sshd-deploy.pid" && kill "$(cat "$DIR/oarnode-sshd-deploy.pid")"
  rm -f "$DIR/oarnode-sshd-deploy.pid"
  for i in $(seq 1 $N); do
    ns=$PREFIX$i
    if ip netns list | grep -qw "^$ns"; then
      for k in 1 2 3; do
        for p in $(ip netns pids "$ns" 2>/dev/null); do kill -KILL "$p" 2>/dev/null || true; done
        [ -z "$(ip netns pids "$ns" 2>/dev/null)" ] && break
        sleep 0.1
      done
      # the UTS-namespaced sshd holds the net namespace, not `ip netns pids`' view
      alive "$DIR/sshd-$i.pid" && kill -KILL "$(cat "$DIR/sshd-$i.pid")" 2>/dev/null || true
      alive "$DIR/oarnode-sshd-$i.pid" && kill -KILL "$(cat "$DIR/oarnode-sshd-$i.pid")" 2>/dev/null || true
      ip netns del "$ns"
    fi
    rm -f "$DIR/sshd-$i.pid" "$DIR/oarnode-sshd-$i.pid"
  done
  ip link del "$BR" 2>/dev/null || true
  sed -i "/$TAG\$/d" /etc/hosts
  if [ -f "$DIR/started-postgres" ]; then
    pg_ctlcluster $PG_VER main stop 2>/dev/null || true
    rm -f "$DIR/started-postgres"
  fi
  log "down"
}

case "${1:-}" in
  up | down | status) ;;
  cut | heal) [[ "${2:-}" =~ ^[0-9]+$ ]] || die "usage: $0 $1 I" ;;
  *) sed -n '2,21p' "$0" >&2; exit 2 ;;
esac
mkdir -p "$(dirname "$LOCK")"
exec 9>"$LOCK"
flock 9
case "$1" in
  up) up ;;
  down) down ;;
  status) if is_up; then echo up; else echo down; exit 1; fi ;;
  cut) ip link set "$PREFIX-v$2" down ;;
  heal) ip link set "$PREFIX-v$2" up ;;
esac
