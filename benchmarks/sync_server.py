"""`python -m benchmarks.sync_server`: the proxy on gunicorn's sync workers, as it was
before the event-loop worker; the API benchmark's reference run beside the real one."""

from __future__ import annotations

import os


def main() -> None:
    os.environ.setdefault("OMP_NUM_THREADS", "1")
    from ecs_proxy.server import SYNC_WORKER, serve

    serve(worker_class=SYNC_WORKER)


if __name__ == "__main__":
    main()
