#!/usr/bin/env bash
# Time from `oarsub` to "nodes known" on the test OAR (scripts/oar-testbed.sh): ours
# (`execo oar sub` then `execo oar nodes`, 1 s polls) against Python execo 2.8.2
# (`oarsub` then `get_oar_job_nodes`, its 10-20 s polls), side by side, N runs each
# (default 3), one 1-node job at a time, deleted after each run. oarstat calls: ours
# at most one a second, execo's one every 10-20 s.
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${1:-3}
bash scripts/oar-testbed.sh up >/tmp/execo-oar-bench-state
st_ssh_config=$(sed -n 's/^ssh_config=//p' /tmp/execo-oar-bench-state)
st_site=$(sed -n 's/^site=//p' /tmp/execo-oar-bench-state)
# the debug build: the time is OAR's and ssh's, not ours
cargo build -q --workspace --all-features --bin execo
execo=$(cargo metadata --format-version 1 --no-deps | python3 -c 'import json,sys; print(json.load(sys.stdin)["target_directory"])')/debug/execo
cfg=$(mktemp)
printf '[connection]\nssh_config = "%s"\n\n[g5k]\nfrontend_domain = ""\ndefault_frontend = "%s"\n' "$st_ssh_config" "$st_site" >"$cfg"
export EXECO_CONFIG=$cfg

venv=target/bench-venv
if [ -x "$venv/bin/python" ] && "$venv/bin/python" -c 'import execo_g5k' 2>/dev/null; then
  py="$venv/bin/python"
elif { [ -x "$venv/bin/python" ] || python3 -m venv "$venv"; } >/dev/null 2>&1 &&
  "$venv/bin/pip" install -q execo==2.8.2 requests >/dev/null 2>&1 &&
  "$venv/bin/python" -c 'import execo_g5k' 2>/dev/null; then
  py="$venv/bin/python"
else
  echo "NOTE: could not install Python execo 2.8.2 (and requests) with pip: its column is empty" >&2
  py=
fi

ours() {
  local t0 t1 out id
  t0=$(date +%s.%N)
  out=$("$execo" oar sub -l "{cluster='oarn'}/nodes=1" -w 0:05)
  id=${out#* }
  "$execo" oar nodes "$id" >/dev/null
  t1=$(date +%s.%N)
  "$execo" oar del "$id" >/dev/null
  awk -v a="$t0" -v b="$t1" 'BEGIN{printf "%.1f", b-a}'
}

theirs() {
  "$py" - "$st_ssh_config" "$st_site" <<'PY'
import sys, time, logging
from execo import logger
logger.setLevel(logging.WARNING)
from execo_g5k import oarsub, get_oar_job_nodes, oardel, OarSubmission
from execo_g5k.config import default_frontend_connection_params
cfg, site = sys.argv[1], sys.argv[2]
default_frontend_connection_params["host_rewrite_func"] = lambda h: h
default_frontend_connection_params["ssh_options"] = ("-tt", "-F", cfg)
t0 = time.time()
[(jid, _)] = oarsub([(OarSubmission(resources="{cluster='oarn'}/nodes=1", walltime=300), site)])
nodes = get_oar_job_nodes(jid, site)
t1 = time.time()
oardel([(jid, site)])
assert nodes, "no nodes"
print("%.1f" % (t1 - t0))
PY
}

printf '%-5s %-12s %-12s\n' run "ours (s)" "execo 2.8.2 (s)"
for i in $(seq 1 "$runs"); do
  o=$(ours)
  t=-
  [ -n "$py" ] && t=$(theirs)
  printf '%-5s %-12s %-12s\n' "$i" "$o" "$t"
done
rm -f "$cfg"
