"""A real Airflow deployment on this machine: what ``make e2e`` and the deployment benchmark run.

One description of it, used by ``e2e/conftest.py`` (the session fixture) and
``benchmarks/deployment.py``:

- PostgreSQL from the distribution's packages (installed with ``apt-get`` when missing and
  we are root), a throwaway cluster on a free port, run as the ``postgres`` user when we
  are root; SQLite only when Postgres truly cannot start (:attr:`Deployment.database`
  says which ran);
- a throwaway ``AIRFLOW_HOME``, LocalExecutor, ``airflow db migrate``, then
  ``api-server``, ``scheduler``, ``dag-processor`` and ``triggerer`` as separate
  processes, each in its own process group with its output in ``components/<name>.log``;
- or CeleryExecutor (``make e2e-celery``): the same, plus Redis from the distribution's
  packages (installed like PostgreSQL) as the broker on a free port, no persistence, the
  result backend in the same PostgreSQL, and :data:`CELERY_WORKERS` ``airflow celery
  worker`` components, each naming itself in a task instance's ``hostname``
  (``[core] hostname_callable`` is :func:`e2e.hostname.hostname`);
- the emulator in its own process (every component must reach it), with a distinctive
  Maton key that must end up nowhere in Airflow's files, output or database.

Two DAG bundles: the provider's example DAGs as users copy them, and ``e2e/dags``.
:meth:`Deployment.stop` ends every process group it started (also on failure, Ctrl-C or
SIGTERM: it is registered with ``atexit``), every process those started (a task runner
has a process group of its own), and stops the cluster and Redis.
"""

from __future__ import annotations

import atexit
import contextlib
import functools
import glob
import json
import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any, TypeVar

import httpx

from airflow_provider_whatsapp.testing.process import EmulatorProcess

REPO = Path(__file__).resolve().parent.parent
E2E_DAGS = Path(__file__).resolve().parent / "dags"
EXAMPLE_DAGS = REPO / "example_dags"
COMPONENTS = ("api-server", "scheduler", "dag-processor", "triggerer")
EXECUTORS = ("LocalExecutor", "CeleryExecutor")
#: The Celery leg's workers: each a component of this name, and the ``hostname`` a task
#: instance it ran shows in the REST API. The other components call themselves CONTROL.
CELERY_WORKERS = ("worker-1", "worker-2")
CELERY_CONCURRENCY = 4
CONTROL_HOSTNAME = "e2e-control"
FINAL_STATES = frozenset({"success", "failed"})
T = TypeVar("T")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_for(what: str, probe: Callable[[], T | None], timeout: float, every: float = 0.5) -> T:
    """``probe()`` until it returns something other than None/False; bounded by ``timeout``."""
    deadline = time.monotonic() + timeout
    while True:
        value = probe()
        if value is not None and value is not False:
            return value
        if time.monotonic() > deadline:
            raise TimeoutError(f"waited {timeout:.0f}s for {what}")
        time.sleep(every)


def tail(path: Path, lines: int = 60) -> str:
    if not path.exists():
        return f"({path} does not exist)"
    text = path.read_text(encoding="utf-8", errors="replace").splitlines()
    return "\n".join(text[-lines:])


class Process:
    """A command in its own process group, its output in ``log_path``; stopped by group."""

    def __init__(self, name: str, cmd: Sequence[str], log_path: Path) -> None:
        self.name, self.cmd, self.log_path = name, list(cmd), log_path
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self, env: Mapping[str, str]) -> Process:
        with self.log_path.open("wb") as log:
            self.proc = subprocess.Popen(
                self.cmd,
                env=dict(env),
                stdout=log,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                start_new_session=True,  # its own group: stop() ends its workers too
            )
        return self

    @property
    def running(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def stop(self, grace: float = 15.0) -> None:
        """SIGTERM the group, SIGKILL what is left after ``grace`` seconds, then every
        descendant still alive (a task runner puts itself in a group of its own)."""
        if self.proc is None:
            return
        pgid = self.proc.pid  # start_new_session: the group id is the leader's pid
        offspring = descendants(pgid)
        for sig in (signal.SIGTERM, signal.SIGKILL):
            with contextlib.suppress(ProcessLookupError):
                os.killpg(pgid, sig)
            try:
                self.proc.wait(grace)
                deadline = time.monotonic() + grace
                while _group_alive(pgid) and time.monotonic() < deadline:
                    time.sleep(0.2)
                if not _group_alive(pgid):
                    break
            except subprocess.TimeoutExpired:
                continue
        kill_all(offspring)
        self.proc = None

    def kill(self) -> list[int]:
        """SIGKILL the leader and every descendant at once, as a machine losing power
        would: nothing gets to clean up. The pids killed."""
        if self.proc is None:
            return []
        pids = [self.proc.pid, *descendants(self.proc.pid)]
        kill_all(pids)
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.proc.wait(10)
        wait_for(f"every process of {self.name} to end", lambda: not any(map(alive, pids)), 10, 0.1)
        self.proc = None
        return pids


def _parents() -> dict[int, int]:
    """pid -> parent pid of every process (from ``/proc``)."""
    parents: dict[int, int] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        # "pid (comm) state ppid ...": comm may hold spaces and parentheses.
        parents[int(entry.name)] = int(stat.rpartition(")")[2].split()[1])
    return parents


def descendants(pid: int) -> list[int]:
    """Every process below ``pid`` (children first found, then theirs)."""
    children: dict[int, list[int]] = {}
    for child, parent in _parents().items():
        children.setdefault(parent, []).append(child)
    found, todo = [], [pid]
    while todo:
        for child in children.get(todo.pop(), []):
            found.append(child)
            todo.append(child)
    return found


def alive(pid: int) -> bool:
    """Running (a zombie, dead but not yet reaped, is not)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat.rpartition(")")[2].split()[0] != "Z"


def kill_all(pids: Sequence[int]) -> None:
    for pid in pids:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.kill(pid, signal.SIGKILL)


def _group_alive(pgid: int) -> bool:
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def apt_install(package: str, what: str, say: Callable[[str], None]) -> None:
    """``apt-get install -y package`` (root with apt only): the project's own files install
    what the e2e needs on a fresh machine."""
    if os.geteuid() != 0 or shutil.which("apt-get") is None:
        raise RuntimeError(f"{what} is not installed and cannot be (needs root + apt)")
    say(f"{what} missing: apt-get install -y {package}")
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    subprocess.run(["apt-get", "update", "-qq"], check=True, env=env)
    subprocess.run(["apt-get", "install", "-y", "-qq", package], check=True, env=env)


# -- PostgreSQL --------------------------------------------------------------------------
class Postgres:
    """A throwaway PostgreSQL cluster on a free loopback port (``trust`` auth, no fsync)."""

    def __init__(self, workdir: Path) -> None:
        self.workdir = workdir
        self.port = free_port()
        self.root = Path(tempfile.mkdtemp(prefix="e2e-pg-"))
        self.data, self.logdir = self.root / "data", self.root / "log"
        self.bindir: Path | None = None
        self.as_postgres = os.geteuid() == 0  # root: the cluster runs as `postgres`
        self.started = False

    @property
    def url(self) -> str:
        return f"postgresql+psycopg2://postgres@127.0.0.1:{self.port}/airflow"

    @property
    def log_path(self) -> Path:
        return self.logdir / "postgres.log"

    def _find_bindir(self) -> Path | None:
        found = sorted(glob.glob("/usr/lib/postgresql/*/bin/pg_ctl"))
        if found:
            return Path(found[-1]).parent
        pg_ctl = shutil.which("pg_ctl")
        return Path(pg_ctl).resolve().parent if pg_ctl else None

    def install(self, say: Callable[[str], None]) -> None:
        """``apt-get install -y postgresql`` when its binaries are missing (root only)."""
        self.bindir = self._find_bindir()
        if self.bindir is not None:
            return
        apt_install("postgresql", "PostgreSQL", say)
        self.bindir = self._find_bindir()
        if self.bindir is None:
            raise RuntimeError("apt-get installed postgresql but no pg_ctl was found")

    def _run(self, tool: str, *args: str, **kwargs: Any) -> subprocess.CompletedProcess[bytes]:
        assert self.bindir is not None
        cmd = [str(self.bindir / tool), *args]
        if self.as_postgres:
            cmd = ["runuser", "-u", "postgres", "--", *cmd]
        return subprocess.run(cmd, check=True, capture_output=True, timeout=120, **kwargs)

    def start(self, say: Callable[[str], None]) -> None:
        self.install(say)
        self.data.mkdir()
        self.logdir.mkdir()
        if self.as_postgres:
            os.chmod(self.root, 0o755)
            for path in (self.root, self.data, self.logdir):
                shutil.chown(path, "postgres", "postgres")
        self._run("initdb", "-D", str(self.data), "-U", "postgres", "-A", "trust", "--no-sync")
        options = (
            f"-p {self.port} -c listen_addresses=127.0.0.1 -c unix_socket_directories={self.root}"
            " -c fsync=off -c synchronous_commit=off -c full_page_writes=off"
            " -c max_connections=200"
        )
        self._run(
            "pg_ctl", "-D", str(self.data), "-l", str(self.log_path), "-o", options, "-w",
            "-t", "60", "start",
        )  # fmt: skip
        self.started = True
        self._run("createdb", "-h", "127.0.0.1", "-p", str(self.port), "-U", "postgres", "airflow")

    def dump(self) -> bytes:
        """``pg_dump`` of the Airflow database: schema and every row."""
        out = self._run("pg_dump", "-h", "127.0.0.1", "-p", str(self.port), "-U", "postgres",
                        "airflow")  # fmt: skip
        return out.stdout

    def stop(self) -> None:
        if self.started:
            with contextlib.suppress(subprocess.SubprocessError, OSError):
                self._run("pg_ctl", "-D", str(self.data), "-m", "immediate", "-w", "stop")
            self.started = False
        shutil.rmtree(self.root, ignore_errors=True)


# -- Redis (the Celery broker) -------------------------------------------------------------
class Redis:
    """A throwaway Redis on a free loopback port, nothing persisted, in its own folder."""

    def __init__(self, workdir: Path) -> None:
        self.port = free_port()
        self.dir = workdir / "redis"
        self.process: Process | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    @property
    def log_path(self) -> Path:
        return self.dir / "redis.log"

    def install(self, say: Callable[[str], None]) -> str:
        """The ``redis-server`` binary; ``apt-get install -y redis-server`` when missing."""
        found = shutil.which("redis-server")
        if found is None:
            apt_install("redis-server", "Redis", say)
            found = shutil.which("redis-server")
        if found is None:
            raise RuntimeError("apt-get installed redis-server but no redis-server was found")
        return found

    def start(self, say: Callable[[str], None]) -> None:
        binary = self.install(say)
        self.dir.mkdir(parents=True)
        cmd = [
            binary, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
            "--appendonly", "no", "--dir", str(self.dir), "--daemonize", "no",
        ]  # fmt: skip
        self.process = Process("redis", cmd, self.log_path).start(os.environ)
        wait_for("Redis to answer PING", self._pong, timeout=30, every=0.2)

    def _pong(self) -> bool:
        if self.process is None or not self.process.running:
            raise RuntimeError(f"redis-server exited:\n{tail(self.log_path)}")
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=2) as sock:
                sock.sendall(b"PING\r\n")
                return sock.recv(16).startswith(b"+PONG")
        except OSError:
            return False

    def stop(self) -> None:
        if self.process is not None:
            self.process.stop(grace=5)
            self.process = None


# -- Airflow ------------------------------------------------------------------------------
class Deployment:
    """Postgres + the four Airflow components + the emulator, started by :meth:`start`.

    ``connections`` are extra Airflow connections (``conn id -> extra fields``) pointing at
    the same emulator, e.g. ``{"whatsapp_fast": {"rate_limit": 0}}``; ``whatsapp_default``
    is the emulator's own, at the connection's default settings. ``executor`` is one of
    :data:`EXECUTORS`; CeleryExecutor adds Redis and the :data:`CELERY_WORKERS`.
    """

    def __init__(
        self,
        workdir: Path,
        *,
        emulator_options: Sequence[str] = (),
        connections: Mapping[str, Mapping[str, Any]] | None = None,
        env: Mapping[str, str] | None = None,
        seed: Callable[[EmulatorProcess], None] | None = None,
        say: Callable[[str], None] | None = None,
        executor: str = "LocalExecutor",
    ) -> None:
        if executor not in EXECUTORS:
            raise ValueError(f"executor must be one of {EXECUTORS}, got {executor!r}")
        self.executor = executor
        self.workdir = workdir.resolve()
        self.home = self.workdir / "airflow"
        self.outputs = self.workdir / "components"
        self.api_key = "e2e-maton-" + secrets.token_hex(12)  # distinctive: grep-able anywhere
        self.emulator_options = tuple(emulator_options)
        self.connections = dict(connections or {})
        self.extra_env = dict(env or {})
        self.seed = seed
        self.api_port = free_port()
        self.database = "none"
        self.postgres: Postgres | None = None
        self.redis: Redis | None = None
        self.emulator: EmulatorProcess | None = None
        self.components: dict[str, Process] = {}
        self.env: dict[str, str] = {}
        self._http: httpx.Client | None = None
        self._started = time.monotonic()
        self._say = say or (lambda text: print(text, flush=True))

    def say(self, text: str) -> None:
        self._say(f"[e2e {time.monotonic() - self._started:6.1f}s] {text}")

    @property
    def api_url(self) -> str:
        return f"http://127.0.0.1:{self.api_port}"

    @property
    def celery(self) -> bool:
        return self.executor == "CeleryExecutor"

    @property
    def workers(self) -> tuple[str, ...]:
        """The Celery workers' names (none on LocalExecutor)."""
        return CELERY_WORKERS if self.celery else ()

    # -- lifecycle -------------------------------------------------------------------
    def start(self) -> Deployment:
        atexit.register(self.stop)
        try:
            self._start()
        except BaseException:
            self.say("start-up failed; component output follows")
            self.say(self.report())
            self.stop()
            raise
        return self

    def _start(self) -> None:
        if self.workdir.exists():
            shutil.rmtree(self.workdir)
        self.home.mkdir(parents=True)
        self.outputs.mkdir()
        sql_conn = self._database()
        if self.celery:
            if self.postgres is None:
                raise RuntimeError(f"CeleryExecutor needs PostgreSQL, not {self.database}")
            self.redis = Redis(self.workdir)
            self.redis.start(self.say)
        self.emulator = EmulatorProcess(
            "--port", "0", "--api-key", self.api_key, *self.emulator_options,
            env=self._base_env(), log_path=self.workdir / "emulator.log",
        )  # fmt: skip
        self.emulator.start()
        if self.seed is not None:  # before any component: a scheduled run may start at once
            self.seed(self.emulator)
        self.env = self._airflow_env(sql_conn)
        t0 = time.monotonic()
        migrate = Process("db-migrate", self._airflow("db", "migrate"),
                          self.outputs / "db-migrate.log")  # fmt: skip
        migrate.start(self.env)
        assert migrate.proc is not None
        if migrate.proc.wait(300) != 0:
            raise RuntimeError(f"airflow db migrate failed:\n{tail(migrate.log_path)}")
        self.say(f"airflow db migrate on {self.database}: {time.monotonic() - t0:.1f}s")
        self._create_account_pools()
        commands = {
            "api-server": self._airflow(
                "api-server", "--host", "127.0.0.1", "--port", str(self.api_port), "--workers", "2"
            ),
            "scheduler": self._airflow("scheduler"),
            "dag-processor": self._airflow("dag-processor"),
            "triggerer": self._airflow("triggerer"),
        }
        # The api-server first, answering, then the rest: a scheduled run the scheduler
        # starts at once (the @daily examples, unpaused at creation) would otherwise reach
        # a worker whose first call to the Execution API is refused, and fail unstarted.
        self._http = httpx.Client(base_url=self.api_url, timeout=120)
        for name, cmd in commands.items():
            self.components[name] = Process(name, cmd, self.outputs / f"{name}.log").start(self.env)
            if name == "api-server":
                wait_for("the api-server to answer", self._api_answers, timeout=180, every=0.5)
        for name in self.workers:
            self.start_worker(name, wait=False)
        wait_for("every component to report healthy", self._healthy, timeout=180, every=1)
        for name in self.workers:
            wait_for(f"Celery {name} to be ready", functools.partial(self._worker_ready, name), 180)
        broker = f", Redis {self.redis.url}" if self.redis is not None else ""
        self.say(
            f"deployment up ({self.executor}{broker}): api-server {self.api_url}, "
            f"emulator {self.emulator.url}, database {self.database}, AIRFLOW_HOME {self.home}"
        )

    def _create_account_pools(self) -> None:
        """One pool of one slot per WhatsApp connection, as README's set-up asks: bulk
        sends run in the pool named like their connection (``account_pool``)."""
        pools = {
            conn_id: {"slots": 1, "description": "WhatsApp bulk sends", "include_deferred": False}
            for conn_id in ("whatsapp_default", *self.connections)
        }
        path = self.workdir / "pools.json"
        path.write_text(json.dumps(pools))
        done = subprocess.run(
            self._airflow("pools", "import", str(path)),
            env=self.env, capture_output=True, text=True, timeout=300, check=False,
        )  # fmt: skip
        if done.returncode != 0:
            raise RuntimeError(f"airflow pools import failed:\n{done.stdout}{done.stderr}")

    # -- Celery workers ------------------------------------------------------------------
    def start_worker(self, name: str, *, wait: bool = True) -> Process:
        """Start (or restart) the Celery worker ``name``: its own hostname (a task instance
        it runs shows it) and log-server port; ``wait`` until it takes tasks."""
        if name not in self.workers:
            raise ValueError(f"no Celery worker {name!r} in this deployment ({self.workers})")
        cmd = self._airflow(
            "celery", "worker", "--concurrency", str(CELERY_CONCURRENCY), "-H", f"{name}@%h"
        )
        env = {
            **self.env,
            "E2E_WORKER_HOSTNAME": name,
            "AIRFLOW__LOGGING__WORKER_LOG_SERVER_PORT": str(free_port()),
        }
        log = self.outputs / f"{name}.log"
        if log.exists():  # a restart: keep what the killed one wrote
            log.rename(log.with_name(f"{name}.{time.monotonic_ns()}.log"))
        process = self.components[name] = Process(name, cmd, log).start(env)
        if wait:
            wait_for(f"Celery {name} to be ready", lambda: self._worker_ready(name), 180, 1)
        return process

    def _worker_ready(self, name: str) -> bool:
        worker = self.components[name]
        if not worker.running:
            raise RuntimeError(f"{name} exited:\n{tail(worker.log_path)}")
        # Celery's own line: "worker-1@<host> ready."
        ready = re.compile(rf"\b{re.escape(name)}@\S+ ready\.")
        return ready.search(worker.log_path.read_text(errors="replace")) is not None

    def kill_worker(self, name: str) -> list[int]:
        """SIGKILL the Celery worker ``name`` and every process below it (its pool, the
        task supervisors and runners): the pids killed."""
        return self.components[name].kill()

    def _database(self) -> str:
        """Postgres when it starts; SQLite (said loudly) only when it cannot."""
        self.postgres = Postgres(self.workdir)
        try:
            self.postgres.start(self.say)
        except (OSError, RuntimeError, subprocess.SubprocessError) as exc:
            detail = getattr(exc, "stderr", b"") or b""
            self.say(f"PostgreSQL could not start ({exc} {detail.decode(errors='replace')})")
            self.postgres.stop()
            self.postgres = None
            self.database = "SQLite (fallback: PostgreSQL could not start)"
            return f"sqlite:///{self.home / 'airflow.db'}"
        self.database = f"PostgreSQL on 127.0.0.1:{self.postgres.port}"
        return self.postgres.url

    def _airflow(self, *args: str) -> list[str]:
        return [sys.executable, "-m", "airflow", *args]

    def _base_env(self) -> dict[str, str]:
        """The caller's environment without its Airflow set-up or Maton key."""
        env = {
            k: v
            for k, v in os.environ.items()
            if not k.startswith(("AIRFLOW_", "AIRFLOW__")) and k != "MATON_API_KEY"
        }
        env["PYTHONUNBUFFERED"] = "1"
        return env

    def _airflow_env(self, sql_conn: str) -> dict[str, str]:
        from cryptography.fernet import Fernet

        assert self.emulator is not None
        bundles = [
            {
                "name": "examples",
                "classpath": "airflow.dag_processing.bundles.local.LocalDagBundle",
                "kwargs": {"path": str(EXAMPLE_DAGS), "refresh_interval": 0},
            },
            {
                "name": "e2e",
                "classpath": "airflow.dag_processing.bundles.local.LocalDagBundle",
                "kwargs": {"path": str(E2E_DAGS), "refresh_interval": 0},
            },
        ]
        settings = {
            "CORE__EXECUTOR": "LocalExecutor",
            "CORE__PARALLELISM": "8",
            "CORE__LOAD_EXAMPLES": "False",
            "CORE__DAGS_FOLDER": str(E2E_DAGS),
            "CORE__FERNET_KEY": Fernet.generate_key().decode(),
            "CORE__EXECUTION_API_SERVER_URL": f"{self.api_url}/execution/",
            "CORE__SIMPLE_AUTH_MANAGER_ALL_ADMINS": "True",
            "CORE__DAGS_ARE_PAUSED_AT_CREATION": "False",
            "API__BASE_URL": self.api_url,
            "API_AUTH__JWT_SECRET": secrets.token_hex(64),  # 128 bytes: above the 64 minimum
            "DATABASE__SQL_ALCHEMY_CONN": sql_conn,
            "DAG_PROCESSOR__DAG_BUNDLE_CONFIG_LIST": json.dumps(bundles),
            "DAG_PROCESSOR__REFRESH_INTERVAL": "5",
            "LOGGING__WORKER_LOG_SERVER_PORT": str(free_port()),
            "LOGGING__TRIGGER_LOG_SERVER_PORT": str(free_port()),
            "LOGGING__LOGGING_LEVEL": "INFO",
            "SCHEDULER__TASK_INSTANCE_HEARTBEAT_TIMEOUT": "20",
            "SCHEDULER__TASK_INSTANCE_HEARTBEAT_TIMEOUT_DETECTION_INTERVAL": "2",
            "WORKERS__MIN_HEARTBEAT_INTERVAL": "2",
            # Eight workers starting at once on a busy 2-core machine: the api-server may
            # take longer than the default 5 s to answer one of them.
            "WORKERS__EXECUTION_API_TIMEOUT": "30",
        }
        env = self._base_env()
        env.update({f"AIRFLOW__{k}": v for k, v in settings.items()})
        env["AIRFLOW_HOME"] = str(self.home)
        env.update(self.emulator.connection_env())
        for conn_id, extra in self.connections.items():
            env.update(self.emulator.connection_env(conn_id, **extra))
        env["WHATSAPP_EXAMPLE_POKE_INTERVAL"] = "1"
        if self.celery:
            env.update(self._celery_env())
        env.update(self.extra_env)
        return env

    def _celery_env(self) -> dict[str, str]:
        """CeleryExecutor, Redis as broker, results in the same PostgreSQL; every component
        names itself through ``e2e.hostname`` (``CONTROL_HOSTNAME`` but for a worker)."""
        assert self.redis is not None and self.postgres is not None
        settings = {
            "CORE__EXECUTOR": "CeleryExecutor",
            "CORE__HOSTNAME_CALLABLE": "e2e.hostname.hostname",
            "CELERY__BROKER_URL": self.redis.url,
            "CELERY__RESULT_BACKEND": f"db+{self.postgres.url}",
            "CELERY__WORKER_CONCURRENCY": str(CELERY_CONCURRENCY),
            # Airflow's default, said explicitly (else every component warns about it).
            "CELERY_BROKER_TRANSPORT_OPTIONS__VISIBILITY_TIMEOUT": "86400",
        }
        env = {f"AIRFLOW__{k}": v for k, v in settings.items()}
        env["E2E_WORKER_HOSTNAME"] = CONTROL_HOSTNAME
        # Every component imports the hostname callable from this repository's e2e package.
        env["PYTHONPATH"] = os.pathsep.join(
            p for p in (str(REPO), os.environ.get("PYTHONPATH", "")) if p
        )
        return env

    def _api_answers(self) -> bool:
        api = self.components["api-server"]
        if not api.running:
            raise RuntimeError(f"api-server exited:\n{tail(api.log_path)}")
        assert self._http is not None
        try:
            return self._http.get("/api/v2/monitor/health", timeout=5).status_code == 200
        except httpx.TransportError:
            return False

    def _healthy(self) -> bool:
        for name, process in self.components.items():
            if not process.running:
                raise RuntimeError(f"{name} exited:\n{tail(process.log_path)}")
        try:
            health = self.api("GET", "/api/v2/monitor/health")
        except (httpx.HTTPError, RuntimeError):
            return False
        parts = ("metadatabase", "scheduler", "triggerer", "dag_processor")
        return all((health.get(p) or {}).get("status") == "healthy" for p in parts)

    def stop(self) -> None:
        """End everything started (idempotent): components, emulator, cluster."""
        for process in reversed(list(self.components.values())):
            process.stop()
        if self._http is not None:
            self._http.close()
            self._http = None
        if self.emulator is not None:
            self.emulator.stop()
        if self.redis is not None:
            self.redis.stop()
        if self.postgres is not None:
            self.postgres.stop()
        with contextlib.suppress(Exception):
            atexit.unregister(self.stop)

    def __enter__(self) -> Deployment:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # -- REST API ------------------------------------------------------------------------
    def api(self, method: str, path: str, **kwargs: Any) -> Any:
        if self._http is None:
            raise RuntimeError("the deployment is not running")
        for attempt in range(3):  # a loaded 2-core machine: an api-server worker may stall
            try:
                answer = self._http.request(method, path, **kwargs)
                break
            except httpx.TransportError:
                if attempt == 2:
                    raise
                time.sleep(2)
        if answer.status_code >= 400:
            raise RuntimeError(f"{method} {path}: HTTP {answer.status_code} {answer.text}")
        return answer.json() if answer.content else None

    def wait_for_dag(self, dag_id: str, timeout: float = 120) -> None:
        """Until the dag-processor has parsed ``dag_id`` (and it is unpaused)."""

        def parsed() -> bool:
            try:
                dag = self.api("GET", f"/api/v2/dags/{dag_id}")
            except RuntimeError:
                return False
            return dag.get("is_paused") is False

        wait_for(f"DAG {dag_id} to be parsed", parsed, timeout)

    def trigger(
        self, dag_id: str, conf: Mapping[str, Any] | None = None, *, logical_date: str | None = None
    ) -> str:
        """Trigger a run through the REST API; its run id. Without ``logical_date`` the run
        has none (Airflow 3's default for API triggers: ``{{ ds }}`` is then undefined)."""
        self.wait_for_dag(dag_id)
        run = self.api(
            "POST",
            f"/api/v2/dags/{dag_id}/dagRuns",
            json={"logical_date": logical_date, "conf": dict(conf or {})},
        )
        return str(run["dag_run_id"])

    def run(self, dag_id: str, run_id: str) -> dict[str, Any]:
        return dict(self.api("GET", f"/api/v2/dags/{dag_id}/dagRuns/{run_id}"))

    def wait_run(self, dag_id: str, run_id: str, timeout: float = 180) -> str:
        """The run's final state (success/failed), bounded by ``timeout``."""

        def final() -> str | None:
            state = self.run(dag_id, run_id)["state"]
            return state if state in FINAL_STATES else None

        return wait_for(f"run {dag_id}/{run_id} to finish", final, timeout)

    def task_instances(self, dag_id: str, run_id: str) -> list[dict[str, Any]]:
        path = f"/api/v2/dags/{dag_id}/dagRuns/{run_id}/taskInstances"
        return list(self.api("GET", path, params={"limit": 100})["task_instances"])

    def task_instance(self, dag_id: str, run_id: str, task_id: str) -> dict[str, Any]:
        path = f"/api/v2/dags/{dag_id}/dagRuns/{run_id}/taskInstances/{task_id}"
        return dict(self.api("GET", path))

    def task_states(self, dag_id: str, run_id: str) -> dict[str, str | None]:
        return {
            ti["task_id"] if ti["map_index"] < 0 else f"{ti['task_id']}[{ti['map_index']}]": ti[
                "state"
            ]
            for ti in self.task_instances(dag_id, run_id)
        }

    def task_log_events(
        self, dag_id: str, run_id: str, task_id: str, try_number: int
    ) -> list[dict[str, Any]]:
        """A try's log through the REST API (as the UI shows it): one dict per event."""
        path = f"/api/v2/dags/{dag_id}/dagRuns/{run_id}/taskInstances/{task_id}/logs/{try_number}"
        content = self.api("GET", path, params={"full_content": "true"})["content"]
        if isinstance(content, str):
            return [{"event": line} for line in content.splitlines()]
        return [e if isinstance(e, dict) else {"event": str(e)} for e in content]

    def task_log(self, dag_id: str, run_id: str, task_id: str, try_number: int) -> str:
        """A try's log as text: each event with its error detail."""
        return "\n".join(
            " ".join(str(e[k]) for k in ("event", "error_detail") if e.get(k))
            for e in self.task_log_events(dag_id, run_id, task_id, try_number)
        )

    def xcom(
        self,
        dag_id: str,
        run_id: str,
        task_id: str,
        key: str = "return_value",
        map_index: int | None = None,
    ) -> Any:
        path = f"/api/v2/dags/{dag_id}/dagRuns/{run_id}/taskInstances/{task_id}/xcomEntries/{key}"
        params = {"deserialize": "true"}
        if map_index is not None:
            params["map_index"] = str(map_index)
        return self.api("GET", path, params=params)["value"]

    def airflow_version(self) -> tuple[int, int]:
        """The deployment's Airflow (major, minor), as its REST API reports it (this
        process does not import Airflow)."""
        major, minor = self.api("GET", "/api/v2/version")["version"].split(".")[:2]
        return int(major), int(minor)

    def task_state_store(self, dag_id: str, run_id: str, task_id: str) -> dict[str, Any]:
        """A task instance's task state store (Airflow 3.3+): key -> its entry (``value``,
        ``expires_at``, ``updated_at``)."""
        path = f"/api/v2/dags/{dag_id}/dagRuns/{run_id}/taskInstances/{task_id}/state-store"
        entries = self.api("GET", path, params={"limit": 100})["task_state_store"]
        return {e["key"]: e for e in entries}

    def variable_keys(self, prefix: str) -> list[str]:
        """The keys of the Variables starting with ``prefix``."""
        found = self.api(
            "GET", "/api/v2/variables", params={"variable_key_pattern": prefix, "limit": 100}
        )
        return sorted(v["key"] for v in found["variables"] if v["key"].startswith(prefix))

    # -- processes and files ---------------------------------------------------------------
    def worker_pids(self, ti_id: str) -> dict[str, int]:
        """``{"runner": pid, "supervisor": pid}`` of a task try, found by process title."""
        titles = {
            f"airflow worker -- {ti_id}": "runner",
            f"airflow worker -- LocalExecutor: {ti_id}": "supervisor",
        }
        found: dict[str, int] = {}
        for entry in Path("/proc").iterdir():
            if not entry.name.isdigit():
                continue
            try:
                raw = (entry / "cmdline").read_bytes()
            except OSError:
                continue
            title = raw.replace(b"\0", b" ").decode(errors="replace").strip()
            if title in titles:
                found[titles[title]] = int(entry.name)
        return found

    def output_files(self) -> list[Path]:
        """Every component's output (not the emulator's: it prints the key on purpose)."""
        return sorted(self.outputs.glob("*.log"))

    def home_files(self) -> Iterator[Path]:
        return (p for p in self.home.rglob("*") if p.is_file())

    def report(self) -> str:
        """The tail of every component's output, for a failed test or start-up."""
        parts = [f"--- {p.name} ---\n{tail(p)}" for p in self.output_files()]
        emulator = tail(self.workdir / "emulator.log", 20).replace(self.api_key, "***")
        parts.append(f"--- emulator.log ---\n{emulator}")
        if self.postgres is not None:
            parts.append(f"--- postgres.log ---\n{tail(self.postgres.log_path, 20)}")
        if self.redis is not None:
            parts.append(f"--- redis.log ---\n{tail(self.redis.log_path, 20)}")
        return "\n".join(parts)


# -- the deployment make e2e and the benchmark run ----------------------------------------
BULK_TEMPLATE = "e2e_notice"
#: Connections besides ``whatsapp_default`` (the emulator's own, default settings).
CONNECTIONS = {"whatsapp_kill": {"rate_limit": 20}, "whatsapp_fast": {"rate_limit": 0}}


def seed_examples(emulator: EmulatorProcess) -> None:
    """As ``make demo`` sets up: the examples' windows open, the templates they send approved."""
    from demo.run import PREAPPROVED, example_template_specs

    for spec in example_template_specs(*PREAPPROVED):
        emulator.add_template(**spec)


def e2e_deployment(workdir: Path, **kwargs: Any) -> Deployment:
    """The deployment of ``make e2e``: emulator at Maton's 10/s, 2 s template review."""
    from demo.run import REVIEW_DELAY, windows_to_open

    options = [
        "--review-delay", str(REVIEW_DELAY), "--template", BULK_TEMPLATE,
        "--open-window", *windows_to_open(),
    ]  # fmt: skip
    kwargs.setdefault("connections", CONNECTIONS)
    kwargs.setdefault("seed", seed_examples)
    return Deployment(workdir, emulator_options=options, **kwargs)


def celery_deployment(workdir: Path, **kwargs: Any) -> Deployment:
    """The deployment of ``make e2e-celery``: ``make e2e``'s on CeleryExecutor."""
    return e2e_deployment(workdir, executor="CeleryExecutor", **kwargs)
