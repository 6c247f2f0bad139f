"""Python execo 2.8.2's charter answers, as JSON, for tests/it/g5k_topology.rs.

Usage: TZ=Europe/Paris python g5k_charter_execo.py OUT T...
For each unix time T: [g5k_charter_time(T), *get_next_charter_period(T, T + 14 days)],
written to OUT. TZ must be Europe/Paris: execo turns the period's end into a unix time
in the process's own time zone.
"""

import json
import sys

from execo_g5k.charter import g5k_charter_time, get_next_charter_period

out = []
for t in sys.argv[2:]:
    t = int(t)
    start, end = get_next_charter_period(t, t + 14 * 86400)
    out.append([g5k_charter_time(t),
                None if start is None else int(start),
                None if end is None else int(end)])
with open(sys.argv[1], 'w') as f:
    json.dump(out, f)
