"""`make test`: the whole suite on SQLite, then on a fresh PostgreSQL database made for the run.

PostgreSQL comes from PG_ADMIN_URL (default: postgres on 127.0.0.1:5432, trust auth). Without a
server the PostgreSQL pass is skipped with a loud message, unless REQUIRE_POSTGRES=1 (CI), where
that is a failure. Extra arguments go to pytest.
"""
from __future__ import annotations

import os
import secrets
import subprocess
import sys
import time

PG_ADMIN_URL = os.environ.get("PG_ADMIN_URL", "postgresql://postgres@127.0.0.1:5432/postgres")


def run_pytest(label: str, env_extra: dict[str, str], args: list[str]) -> int:
    print(f"\n==== test suite on {label} ====", flush=True)
    started = time.monotonic()
    env = {**os.environ, **env_extra}
    code = subprocess.call([sys.executable, "-m", "pytest", *args], env=env)
    print(f"==== {label}: pytest exit {code} in {time.monotonic() - started:.0f} s ====", flush=True)
    return code


def postgres_admin():  # type: ignore[no-untyped-def]
    import psycopg

    try:
        return psycopg.connect(PG_ADMIN_URL, autocommit=True, connect_timeout=5)
    except psycopg.OperationalError as error:
        return error


def main() -> int:
    args = sys.argv[1:]
    results: dict[str, int] = {}
    results["SQLite"] = run_pytest("SQLite", {"TEST_DATABASE_URL": ""}, args)

    admin = postgres_admin()
    if isinstance(admin, Exception):
        message = f"PostgreSQL at {PG_ADMIN_URL} is not reachable: {admin}".strip()
        if os.environ.get("REQUIRE_POSTGRES") == "1":
            print(f"\nFAILED: {message}\nREQUIRE_POSTGRES=1, so the PostgreSQL pass may not be "
                  "skipped.", flush=True)
            return 1
        print("\n" + "!" * 78 + f"\nPOSTGRESQL PASS SKIPPED: {message}\nOnly SQLite was tested. "
              "Start PostgreSQL (see README) to run both.\n" + "!" * 78, flush=True)
    else:
        name = f"workbench_test_{os.getpid()}_{secrets.token_hex(3)}"
        admin.execute(f'CREATE DATABASE "{name}"')
        print(f"created PostgreSQL database {name}", flush=True)
        try:
            host_part = PG_ADMIN_URL.split("://", 1)[1].rsplit("/", 1)[0]
            url = f"postgresql+psycopg://{host_part}/{name}"
            results["PostgreSQL"] = run_pytest("PostgreSQL", {"TEST_DATABASE_URL": url}, args)
        finally:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            admin.close()
            print(f"dropped PostgreSQL database {name}", flush=True)

    print("\n==== summary ====")
    for label, code in results.items():
        print(f"{label:<11} {'passed' if code == 0 else f'FAILED (exit {code})'}")
    return 0 if all(code == 0 for code in results.values()) else 1


if __name__ == "__main__":
    sys.exit(main())
