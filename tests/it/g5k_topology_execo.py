"""Python execo 2.8.2's topology of the fixtures, as JSON, for tests/it/g5k_topology.rs.

Usage: python g5k_topology_execo.py API_URI OUT ELEMENTS...
where each ELEMENTS is a comma-separated list given to execo_g5k.topology.g5k_graph
(`lyon`, `lyon,lille,nancy`), written to OUT (execo logs on stdout). The reference data comes from API_URI (the tests'
stand-in API server) through execo's own api_utils, with its cache under $HOME.

execo 2.8.2 stops on the current reference data (a missing or null `backplane_bps`:
KeyError, TypeError in min()); those are set to infinity, which bounds nothing, as
execo-rs reads them. Infinite bandwidths are written as null.
"""

import json
import math
import sys

from execo_g5k.config import g5k_configuration

g5k_configuration['api_uri'] = sys.argv[1]

from execo_g5k import topology  # noqa: E402
from execo_g5k.api_utils import get_api_data  # noqa: E402

data = get_api_data()
for site, equips in data['network'].items():
    if site == 'backbone':
        continue
    for e in equips.values():
        if e.get('backplane_bps') is None:
            e['backplane_bps'] = math.inf


def finite(x):
    return None if x is None or (isinstance(x, float) and math.isinf(x)) else x


out = []
for arg in sys.argv[3:]:
    elements = arg.split(',')
    g = topology.g5k_graph(elements)
    out.append({
        'elements': elements,
        'nodes': sorted([n, d['kind']] for n, d in g.nodes(data=True)),
        'edges': sorted([*sorted([a, b]), k, finite(d.get('bandwidth'))]
                        for a, b, k, d in g.edges(keys=True, data=True)),
        'site_router': {s: g.get_site_router(s)[0] for s in g.get_sites()},
        'backbone': sorted(n for n, _ in g.get_backbone()),
    })
with open(sys.argv[2], 'w') as f:
    json.dump(out, f)
