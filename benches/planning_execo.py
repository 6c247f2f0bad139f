"""Python execo 2.8.2's planning on a Grid'5000 API (the stand-in server of the tests):
get_planning + compute_slots, printed as JSON for tests/it/g5k_planning.rs and timed
for benches/planning_compare.sh.

usage: python planning_execo.py URI ELEMENTS START END WALLTIME [--vlan] [--repeat N]
       [--offline] [--want JSON]
  ELEMENTS  comma-separated (lyon,lille,nancy)
  --want    also find_free_slot, distribute_hosts and get_jobs_specs for these wanted
            resources ({"lyon": 2, "chiclet": 1})
  --offline the API's answers are read once, then served from memory (no HTTP in the
            timed runs: planning's own work only)
Prints {"planning": ..., "slots": [[start, end, {element: n}], ...], "seconds": [...]}.
HOME must hold .execo.conf.py pointing execo at URI (the test and the script write it).
"""
import json
import sys
import time

# execo logs to stdout: keep it for the JSON, and send the rest to stderr.
result_out = sys.stdout
sys.stdout = sys.stderr

args = sys.argv[1:]
vlan = "--vlan" in args
offline = "--offline" in args
repeat = 1
if "--repeat" in args:
    repeat = int(args[args.index("--repeat") + 1])
uri, elements, start, end, walltime = args[:5]
elements = elements.split(",")
start, end, walltime = int(start), int(end), int(walltime)

from execo_g5k import planning as P  # noqa: E402
from execo_g5k import api_utils  # noqa: E402

api_utils.get_api_data()  # the reference, loaded once (as a session would)

if offline:
    real = P.get_resource_attributes
    memo = {}

    def served(path):
        if path not in memo:
            memo[path] = real(path)
        return json.loads(json.dumps(memo[path]))

    P.get_resource_attributes = served
    P.get_planning(elements, vlan=vlan, starttime=start, endtime=end)

seconds = []
for _ in range(repeat):
    t0 = time.perf_counter()
    planning = P.get_planning(elements, vlan=vlan, starttime=start, endtime=end)
    slots = P.compute_slots(planning, walltime)
    seconds.append(time.perf_counter() - t0)

out = {"planning": planning, "slots": slots, "seconds": seconds}
if "--want" in args:
    wanted = json.loads(args[args.index("--want") + 1])
    slot = P.find_free_slot(slots, dict(wanted))
    out["free_slot"] = list(slot)
    if slot[0] is not None:
        resources = P.distribute_hosts(dict(slot[2]), dict(wanted))
        out["distribution"] = resources
        out["specs"] = [[s.resources, site] for s, site in P.get_jobs_specs(resources)]
    out["first_slot"] = list(P.find_first_slot(slots, dict(wanted)))
    out["max_slot"] = list(P.find_max_slot(slots, dict(wanted)))
result_out.write(json.dumps(out) + "\n")
