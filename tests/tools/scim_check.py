"""SCIM 2.0 conformance of /scim/v2 with PyPI scim2-tester (its Users checks:
discovery, create, read, list, attribute selection, replace, PATCH add/remove/
replace of every published attribute, delete). tests/it/scim.rs runs it:

    python3 tests/tools/scim_check.py http://127.0.0.1:PORT/scim/v2 TOKEN

Prints one line per check and exits 1 when any check is not a success.
"""
import sys

from httpx2 import Client
from scim2_client.engines.httpx2 import SyncSCIMClient
from scim2_tester import Status, check_server

url, token = sys.argv[1], sys.argv[2]
scim = SyncSCIMClient(Client(base_url=url, headers={"Authorization": f"Bearer {token}"}))
results = check_server(scim, resource_types=["User"])
passing = {Status.SUCCESS, Status.COMPLIANT, Status.ACCEPTABLE, Status.SKIPPED}
bad = 0
for r in results:
    bad += r.status not in passing
    reason = f"  -- {r.reason}" if r.reason else ""
    print(f"{r.status.name:10} {r.resource_type or '-':5} {r.title}{reason}")
print(f"{len(results) - bad} passed, {bad} failed")
sys.exit(1 if bad else 0)
