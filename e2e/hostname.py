"""``[core] hostname_callable`` of the Celery leg: each process names itself by
``E2E_WORKER_HOSTNAME`` (a worker's component name, or one fixed name for the others), so a
task instance's ``hostname`` in the REST API says which worker ran it. Cheap to import:
every component imports it."""

from __future__ import annotations

import os


def hostname() -> str:
    return os.environ["E2E_WORKER_HOSTNAME"]
