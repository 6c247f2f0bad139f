#!/usr/bin/env bash
# Installs the Debian packages the project and its tests need, when missing.
# Run by the README's commands and by .ci/run; safe to run again.
set -euo pipefail

need=()
have() { command -v "$1" >/dev/null 2>&1; }
# The kernel's tests use POSIX tools (sh, cat, sleep, head, seq) and procps'
# ps; the benchmark comparison also needs a C compiler and python3 (pip installs execo).
have ps || need+=(procps)
# Remote execution tests start their own sshd on loopback.
[ -x /usr/sbin/sshd ] || need+=(openssh-server)
have ssh || need+=(openssh-client)
have ssh-keygen || need+=(openssh-client)
have cc || need+=(gcc libc6-dev)
# The cut-off test puts hosts in network namespaces (ip netns, veth, bridge).
[ -x /usr/sbin/ip ] || [ -x /sbin/ip ] || need+=(iproute2)
# The flagship experiments: tcp_congestion measures with iperf3, netcat and
# remote_traffic use netcat-traditional (the guide's: `nc -v` says "listening on").
have iperf3 || need+=(iperf3)
have nc.traditional || need+=(netcat-traditional)
# TakTuk actions (TaktukRemote, TaktukPut, TaktukGet, `execo run --taktuk`) drive it.
have taktuk || need+=(taktuk)
# The serial console tests link a console program to Serial through socat pty pairs.
have socat || need+=(socat)
# The nodeset side-by-side test and benchmark compare with ClusterShell's nodeset.
have nodeset || need+=(clustershell)
# execo plot draws its text with DejaVu Sans, read at run time (no fontconfig).
[ -f /usr/share/fonts/truetype/dejavu/DejaVuSans.ttf ] || need+=(fonts-dejavu-core)
# The planning and topology tests compare with Python execo 2.8.2, pip-installed into a
# venv (tests/it/g5k_planning.rs, tests/it/g5k_topology.rs).
python3 -c 'import ensurepip, venv' >/dev/null 2>&1 || need+=(python3-venv)
# The OAR tests run a real OAR 2.5.9 with PostgreSQL (scripts/oar-testbed.sh).
for p in oar-server oar-server-pgsql oar-user oar-user-pgsql oar-node postgresql; do
  dpkg -s "$p" >/dev/null 2>&1 || need+=("$p")
done
# benches/broadcast_compare.sh: bc for its times, GNU time for the relays' peak memory.
have bc || need+=(bc)
[ -x /usr/bin/time ] || need+=(time)

if ((${#need[@]})); then
  if [ "$(id -u)" -ne 0 ]; then SUDO=sudo; else SUDO=; fi
  echo "installing: ${need[*]}" >&2
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${need[@]}" >/dev/null
fi
