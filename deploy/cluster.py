"""Several app servers on one PostgreSQL: nginx on loopback in front of gunicorn servers.

    make cluster                                  # 2 servers behind http://127.0.0.1:8080
    .venv/bin/python deploy/cluster.py --servers 2 --port 8080 --seed

nginx (Debian's package; ``make setup`` installs it) spreads requests over the servers
round-robin, with no sticky sessions: whatever one request leaves for the next lives in the
database (data, the session nonce behind each login cookie) or in Redis (the login limit), and
every server signs cookies with the same SECRET_KEY. Each server is the ``make run`` gunicorn
(``deploy/gunicorn.conf.py``) in production mode, trusting one proxy for the client address.

Prints ``ready: http://…`` (then each server's own address) once nginx and every server answer;
Ctrl-C or SIGTERM stops them all. The runtime directory (default ``instance/cluster/``) holds
nginx's configuration, its logs, each server's log and the shared secret key.
"""
from __future__ import annotations

import argparse
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent
GUNICORN_CONF = PROJECT_ROOT / "deploy" / "gunicorn.conf.py"
DEFAULT_DATABASE_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/workbench_cluster"
DEFAULT_REDIS_URL = "redis://127.0.0.1:6379/0"
NGINX_TEMP_DIRS = ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")


def free_port() -> int:
    """A TCP port free on 127.0.0.1 just now (tests and benchmarks use this one too)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def nginx_config(runtime: Path, port: int, backends: list[int]) -> str:
    """An nginx.conf that needs nothing from /etc: every path lies in ``runtime``."""
    temp = "\n".join(f"    {name}_temp_path {runtime / 'nginx' / name};" for name in NGINX_TEMP_DIRS)
    servers = "\n".join(f"        server 127.0.0.1:{p} max_fails=0;" for p in backends)
    # Run as root, nginx's workers would otherwise become "nobody", who cannot write here.
    user = "user root;\n" if os.geteuid() == 0 else ""
    return f"""# Written by deploy/cluster.py; rewritten at every start.
{user}worker_processes 1;
pid {runtime / 'nginx.pid'};
error_log {runtime / 'nginx-error.log'} warn;
events {{ worker_connections 1024; }}
http {{
    access_log off;
{temp}
    # The app refuses over-large bodies itself (413 with its own message), so nginx lets them by.
    client_max_body_size 32m;
    upstream workbench {{
        # Round-robin, no sticky sessions: any server can answer any request.
{servers}
        keepalive 32;
    }}
    server {{
        listen 127.0.0.1:{port};
        location / {{
            proxy_pass http://workbench;
            proxy_http_version 1.1;
            proxy_set_header Connection "";
            proxy_set_header Host $http_host;
            proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
            proxy_set_header X-Forwarded-Proto $scheme;
            # A server that is down is skipped; a POST is never sent twice (nginx's default).
            proxy_next_upstream error timeout;
            proxy_connect_timeout 2s;
            proxy_read_timeout 300s;
            # Project-wide exports stream: pass them on as they come, never spool them to disk.
            proxy_buffering off;
            # Which server answered (loopback only; the tests check that both take turns).
            add_header X-Upstream $upstream_addr always;
        }}
    }}
}}
"""


def ensure_postgres_database(url: str) -> None:
    """Create the PostgreSQL database named by ``url`` if it does not exist yet."""
    if not url.startswith("postgresql"):
        return
    import psycopg
    from sqlalchemy.engine import make_url

    parsed = make_url(url)
    admin = parsed.set(drivername="postgresql", database="postgres")
    with psycopg.connect(admin.render_as_string(hide_password=False), autocommit=True,
                         connect_timeout=5) as connection:
        exists = connection.execute("SELECT 1 FROM pg_database WHERE datname = %s",
                                    [parsed.database]).fetchone()
        if not exists:
            connection.execute(f'CREATE DATABASE "{parsed.database}"')
            print(f"==> created PostgreSQL database {parsed.database}", flush=True)


def shared_secret_key(runtime: Path) -> str:
    """SECRET_KEY from the environment, else one kept in the runtime directory for every server."""
    if os.environ.get("SECRET_KEY"):
        return os.environ["SECRET_KEY"]
    key_file = runtime / "secret_key"
    if not key_file.exists():
        key_file.write_text(secrets.token_hex(32))
        key_file.chmod(0o600)
    return key_file.read_text().strip()


def wait_until_answers(url: str, processes: list[subprocess.Popen[bytes]], timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if any(p.poll() is not None for p in processes):
            raise SystemExit(f"a process stopped while starting (see its log); {url} never answered")
        try:
            with urllib.request.urlopen(url, timeout=2):
                return
        except urllib.error.HTTPError:
            return  # it answered
        except (urllib.error.URLError, OSError):
            time.sleep(0.1)
    raise SystemExit(f"{url} did not answer within {timeout:.0f} s")


def workbench_command(*args: str, env: dict[str, str]) -> None:
    executable = Path(sys.executable).with_name("workbench")
    subprocess.run([str(executable), *args], env=env, check=True, cwd=PROJECT_ROOT)


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--port", type=int, default=8080, help="nginx's port on 127.0.0.1")
    parser.add_argument("--servers", type=int, default=2, help="gunicorn servers behind nginx")
    parser.add_argument("--workers", type=int, default=2, help="workers per server")
    parser.add_argument("--database-url", default=os.environ.get("DATABASE_URL")
                        or DEFAULT_DATABASE_URL)
    parser.add_argument("--redis-url", default=os.environ.get("REDIS_URL") or DEFAULT_REDIS_URL)
    parser.add_argument("--runtime-dir", type=Path, default=PROJECT_ROOT / "instance" / "cluster")
    parser.add_argument("--seed", action="store_true",
                        help="load the sample articles and the demo accounts")
    args = parser.parse_args(argv)
    if not 1 <= args.servers <= 16 or not 1 <= args.workers <= 16:
        parser.error("--servers and --workers take 1 to 16")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    nginx = shutil.which("nginx") or ("/usr/sbin/nginx" if Path("/usr/sbin/nginx").exists() else None)
    if nginx is None:
        raise SystemExit("nginx is not installed: `make setup` installs Debian's package")
    runtime: Path = args.runtime_dir.resolve()
    for name in NGINX_TEMP_DIRS:
        (runtime / "nginx" / name).mkdir(parents=True, exist_ok=True)

    env = {**os.environ, "DATABASE_URL": args.database_url, "REDIS_URL": args.redis_url,
           "WORKBENCH_ENV": os.environ.get("WORKBENCH_ENV", "production"),
           "SECRET_KEY": shared_secret_key(runtime), "TRUSTED_PROXIES": "1"}
    ensure_postgres_database(args.database_url)
    workbench_command("db", "upgrade", env=env)
    if args.seed:
        workbench_command("seed", "--demo", env=env)

    backends = [free_port() for _ in range(args.servers)]
    processes: list[subprocess.Popen[bytes]] = []

    def stop_all(*_: object) -> None:
        for process in reversed(processes):
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
        for process in processes:
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()

    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    try:
        for number, port in enumerate(backends, start=1):
            log = open(runtime / f"server-{number}.log", "ab")  # noqa: SIM115 (the child keeps it)
            processes.append(subprocess.Popen(
                [sys.executable, "-m", "gunicorn", "-c", str(GUNICORN_CONF),
                 "--workers", str(args.workers), "--bind", f"127.0.0.1:{port}",
                 "--graceful-timeout", "5", "--log-level", "warning", "workbench:create_app()"],
                cwd=PROJECT_ROOT, env=env, stdout=log, stderr=subprocess.STDOUT))
        conf = runtime / "nginx.conf"
        conf.write_text(nginx_config(runtime, args.port, backends))
        processes.append(subprocess.Popen(
            [nginx, "-p", str(runtime), "-c", str(conf), "-g", "daemon off;"], cwd=runtime))
        for port in backends:
            wait_until_answers(f"http://127.0.0.1:{port}/login", processes, 60)
        wait_until_answers(f"http://127.0.0.1:{args.port}/login", processes, 30)
        print(f"ready: http://127.0.0.1:{args.port} (nginx, round-robin, no sticky sessions) → "
              + " ".join(f"http://127.0.0.1:{p}" for p in backends), flush=True)
        print(f"      logs in {runtime}; Ctrl-C stops every server", flush=True)
        while all(p.poll() is None for p in processes):
            time.sleep(0.5)
        print("a server stopped; stopping the others", file=sys.stderr, flush=True)
        return 1
    except KeyboardInterrupt:
        return 0
    finally:
        stop_all()


if __name__ == "__main__":
    sys.exit(main())
