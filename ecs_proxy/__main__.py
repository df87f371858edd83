"""`python -m ecs_proxy`: serve the API on 127.0.0.1:${PORT:-8080}."""

from __future__ import annotations

import os


def main() -> None:
    # Before any worker imports numpy: one OpenMP thread each on a small machine.
    os.environ.setdefault("OMP_NUM_THREADS", "1")
    from ecs_proxy.server import serve

    serve()


if __name__ == "__main__":
    main()
