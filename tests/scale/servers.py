"""Real servers for the scale-out tests: a PostgreSQL streaming replica, PgBouncer, Redis + Sentinel.

Every server binds 127.0.0.1 on a free port, lives in its own temporary directory, is waited for
with a bounded loop and stopped by the fixture that started it (``stop()``/``close()``; a process
that ignores SIGTERM is killed after a timeout). Nothing here listens anywhere but loopback.

- ``PgReplica``: ``pg_basebackup -R`` of the cluster ``DATABASE_URL`` points at (the CI cluster)
  into its own data directory and port, started as a hot standby streaming from it. When that
  cluster's ``pg_hba.conf`` has no ``replication`` entry for 127.0.0.1, one marked line is added
  and the configuration reloaded, and the line is removed (and reloaded again) on ``close()``;
  ``wal_level`` and ``max_wal_senders`` are checked, never changed (they need a restart).
- ``PgBouncer``: Debian's ``pgbouncer`` in ``pool_mode = transaction`` in front of the same
  cluster (every database name passes through).
- ``RedisNode`` / ``SentinelGroup``: ``redis-server`` master and replica (no persistence) and three
  ``redis-sentinel`` processes monitoring the master under one service name.

PostgreSQL and PgBouncer refuse to run as root: as root they run as the ``postgres`` user.
"""
from __future__ import annotations

import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import psycopg

from ..live_server_utils import free_port, stop_process

PG_BIN = Path("/usr/lib/postgresql")
HBA_MARK = "# chatmemory-scale-tests: replication from loopback (removed when the tests end)"


def pg_bin(name: str) -> str:
    """The newest installed PostgreSQL server binary ``name`` (Debian keeps them per major)."""
    found = shutil.which(name)
    majors = sorted((p for p in PG_BIN.glob("*/bin") if (p / name).exists()), key=lambda p: int(p.parent.name))
    if majors:
        return str(majors[-1] / name)
    if found:
        return found
    raise RuntimeError(f"{name} is not installed (Debian: postgresql)")


def _as_postgres(argv: list[str]) -> list[str]:
    """``argv`` run as the ``postgres`` user when we are root (the server refuses root)."""
    if os.geteuid() == 0:
        return ["runuser", "-u", "postgres", "--", *argv]
    return argv


def _chown_postgres(path: Path) -> None:
    if os.geteuid() == 0:
        entry = pwd.getpwnam("postgres")
        for p in [path, *path.rglob("*")]:
            os.chown(p, entry.pw_uid, entry.pw_gid)


def wait_until(check: Any, *, timeout: float, interval: float = 0.05, what: str = "condition") -> Any:
    """Call ``check()`` until it returns something truthy (returned) or ``timeout`` seconds pass."""
    deadline = time.monotonic() + timeout
    last_error: BaseException | None = None
    while time.monotonic() < deadline:
        try:
            value = check()
            if value:
                return value
        except Exception as exc:  # noqa: BLE001 - servers starting raise all sorts; retried until the deadline
            last_error = exc
        time.sleep(interval)
    raise TimeoutError(f"{what} not reached in {timeout}s (last error: {last_error!r})")


def primary_dsn(url: str) -> dict[str, Any]:
    """psycopg keyword arguments for a ``postgres://`` URL (host, port, user, password, dbname)."""
    parts = urlsplit(url)
    return {
        "host": parts.hostname or "127.0.0.1", "port": parts.port or 5432, "user": parts.username or "postgres",
        "password": parts.password or None, "dbname": (parts.path or "/postgres").lstrip("/") or "postgres",
    }


class PgReplica:
    """A hot-standby streaming replica of the cluster at ``primary`` (psycopg kwargs), on its own port."""

    def __init__(self, primary: dict[str, Any]) -> None:
        self.primary = {**primary, "dbname": "postgres"}
        self.port = free_port()
        self.root = Path(tempfile.mkdtemp(prefix="cm-pgreplica-"))
        self.data = self.root / "data"
        self.log = self.root / "server.log"
        self._hba_added: Path | None = None
        self.basebackup_seconds = 0.0

    # -- the primary's side ------------------------------------------------------------------
    def _primary(self) -> psycopg.Connection[Any]:
        return psycopg.connect(**self.primary, autocommit=True, connect_timeout=5)

    def prepare_primary(self) -> None:
        """Make sure the primary accepts a replication connection from 127.0.0.1 (reversibly)."""
        with self._primary() as conn:
            wal_level = conn.execute("SHOW wal_level").fetchone()[0]  # type: ignore[index]
            senders = int(conn.execute("SHOW max_wal_senders").fetchone()[0])  # type: ignore[index]
            if wal_level == "minimal" or senders < 2:
                raise RuntimeError(f"the primary cannot stream (wal_level={wal_level}, max_wal_senders={senders});"
                                   " both need a restart to change: set wal_level=replica, max_wal_senders>=2")
            rules = conn.execute(
                "SELECT count(*) FROM pg_hba_file_rules WHERE 'replication' = ANY(database) AND type = 'host'"
                " AND (address IS NULL OR address = '127.0.0.1' OR address = 'all')"
                " AND auth_method IN ('trust', 'md5', 'scram-sha-256', 'password')"
            ).fetchone()[0]  # type: ignore[index]
            hba = Path(conn.execute("SHOW hba_file").fetchone()[0])  # type: ignore[index]
            text = hba.read_text()
            if HBA_MARK in text:  # left by a run that died: ours, removed at close()
                self._hba_added = hba
            elif not rules:
                user = self.primary["user"]
                hba.write_text(text.rstrip("\n") + f"\n{HBA_MARK}\nhost replication {user} 127.0.0.1/32 trust\n")
                self._hba_added = hba
                conn.execute("SELECT pg_reload_conf()")
                wait_until(lambda: conn.execute(
                    "SELECT count(*) FROM pg_hba_file_rules WHERE 'replication' = ANY(database)"
                ).fetchone()[0], timeout=10, what="pg_hba reload")  # type: ignore[index]

    def restore_primary(self) -> None:
        """Remove the replication entry ``prepare_primary`` added, and reload."""
        if self._hba_added is None:
            return
        lines = self._hba_added.read_text().splitlines(keepends=True)
        kept: list[str] = []
        skip_next = False
        for line in lines:
            if line.rstrip("\n") == HBA_MARK:
                skip_next = True
                continue
            if skip_next:
                skip_next = False
                continue
            kept.append(line)
        self._hba_added.write_text("".join(kept))
        with self._primary() as conn:
            conn.execute("SELECT pg_reload_conf()")
        self._hba_added = None

    # -- the replica -------------------------------------------------------------------------
    def create(self) -> None:
        """``pg_basebackup -R`` into the data directory and write the standby's own configuration."""
        self.prepare_primary()
        _chown_postgres(self.root)
        started = time.monotonic()
        subprocess.run(
            _as_postgres([pg_bin("pg_basebackup"), "-h", self.primary["host"], "-p", str(self.primary["port"]),
                          "-U", self.primary["user"], "-D", str(self.data), "-R", "-X", "stream",
                          "--checkpoint=fast", "--no-sync"]),
            check=True, capture_output=True, timeout=900,
        )
        self.basebackup_seconds = time.monotonic() - started
        with self._primary() as conn:
            # A hot standby needs these at least as high as on its primary.
            same = {name: conn.execute(f"SHOW {name}").fetchone()[0]  # type: ignore[index]
                    for name in ("max_connections", "max_worker_processes", "max_wal_senders",
                                 "max_prepared_transactions", "max_locks_per_transaction")}
        conf = {
            "port": str(self.port), "listen_addresses": "'127.0.0.1'", "unix_socket_directories": f"'{self.root}'",
            "hot_standby": "on", "hba_file": f"'{self.data / 'pg_hba.conf'}'",
            "ident_file": f"'{self.data / 'pg_ident.conf'}'", "shared_buffers": "'64MB'", "fsync": "off",
            "max_standby_streaming_delay": "'30s'", "hot_standby_feedback": "on", "logging_collector": "off",
            "cluster_name": f"'chatmemory-replica-{self.port}'", "wal_receiver_status_interval": "'1s'",
            **same,
        }
        (self.data / "postgresql.conf").write_text("".join(f"{k} = {v}\n" for k, v in conf.items()))
        (self.data / "pg_hba.conf").write_text("local all all trust\nhost all all 127.0.0.1/32 trust\n")
        (self.data / "pg_ident.conf").write_text("")
        _chown_postgres(self.root)

    def start(self, timeout: float = 60) -> None:
        subprocess.run(_as_postgres([pg_bin("pg_ctl"), "-D", str(self.data), "-l", str(self.log), "-w",
                                     "-t", str(int(timeout)), "start"]),
                       check=True, capture_output=True, timeout=timeout + 10)
        wait_until(lambda: self.query("SELECT pg_is_in_recovery()")[0][0], timeout=timeout, what="replica up")

    def stop(self, mode: str = "fast") -> None:
        if (self.data / "postmaster.pid").exists():
            subprocess.run(_as_postgres([pg_bin("pg_ctl"), "-D", str(self.data), "-m", mode, "-w", "-t", "60",
                                         "stop"]), capture_output=True, timeout=90)

    def close(self) -> None:
        try:
            self.stop("immediate")
        finally:
            try:
                self.restore_primary()
            finally:
                shutil.rmtree(self.root, ignore_errors=True)

    @property
    def dsn(self) -> dict[str, Any]:
        return {**self.primary, "host": "127.0.0.1", "port": self.port}

    def url(self, dbname: str) -> str:
        user = self.primary["user"]
        password = f":{self.primary['password']}" if self.primary.get("password") else ""
        return f"postgres://{user}{password}@127.0.0.1:{self.port}/{dbname}"

    def query(self, sql: str, params: Any = None, *, dbname: str = "postgres") -> list[tuple[Any, ...]]:
        with psycopg.connect(**{**self.dsn, "dbname": dbname}, autocommit=True, connect_timeout=2) as conn:
            return conn.execute(sql, params).fetchall()

    def pause_replay(self) -> None:
        self.query("SELECT pg_wal_replay_pause()")

    def resume_replay(self) -> None:
        self.query("SELECT pg_wal_replay_resume()")

    def wait_caught_up(self, timeout: float = 30) -> None:
        """Wait until the replica has replayed everything the primary had written when called."""
        with self._primary() as conn:
            target = conn.execute("SELECT pg_current_wal_lsn()").fetchone()[0]  # type: ignore[index]
        wait_until(lambda: self.query("SELECT pg_last_wal_replay_lsn() >= %s::pg_lsn", [target])[0][0],
                   timeout=timeout, what="replica caught up")


class PgBouncer:
    """Debian's PgBouncer in transaction pooling mode in front of ``upstream`` (psycopg kwargs)."""

    def __init__(self, upstream: dict[str, Any], *, pool_size: int = 8, pool_mode: str = "transaction") -> None:
        self.binary = shutil.which("pgbouncer") or "/usr/sbin/pgbouncer"
        if not Path(self.binary).exists():
            raise RuntimeError("pgbouncer is not installed (Debian: pgbouncer)")
        self.upstream = upstream
        self.port = free_port()
        self.root = Path(tempfile.mkdtemp(prefix="cm-pgbouncer-"))
        self.proc: subprocess.Popen[bytes] | None = None
        user = upstream["user"]
        (self.root / "userlist.txt").write_text(f'"{user}" "{upstream.get("password") or ""}"\n')
        conf = {
            "listen_addr": "127.0.0.1", "listen_port": str(self.port), "unix_socket_dir": "",
            "auth_type": "trust", "auth_file": str(self.root / "userlist.txt"), "pool_mode": pool_mode,
            "default_pool_size": str(pool_size), "max_client_conn": "400", "server_reset_query": "",
            "ignore_startup_parameters": "extra_float_digits,options", "logfile": str(self.root / "pgbouncer.log"),
            "pidfile": "", "admin_users": user, "server_lifetime": "3600", "server_idle_timeout": "60",
        }
        if os.geteuid() == 0:
            conf["user"] = "postgres"
        databases = f"* = host={upstream['host']} port={upstream['port']}\n"
        (self.root / "pgbouncer.ini").write_text(
            "[databases]\n" + databases + "[pgbouncer]\n" + "".join(f"{k} = {v}\n" for k, v in conf.items())
        )
        _chown_postgres(self.root)

    def start(self, timeout: float = 20) -> None:
        self.proc = subprocess.Popen([self.binary, str(self.root / "pgbouncer.ini")],
                                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        wait_until(lambda: self.query("SELECT 1")[0][0] == 1, timeout=timeout, what="pgbouncer up")

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            stop_process(self.proc)
        self.proc = None

    def close(self) -> None:
        self.stop()
        shutil.rmtree(self.root, ignore_errors=True)

    def url(self, dbname: str) -> str:
        password = f":{self.upstream['password']}" if self.upstream.get("password") else ""
        return f"postgres://{self.upstream['user']}{password}@127.0.0.1:{self.port}/{dbname}"

    def query(self, sql: str, *, dbname: str = "postgres") -> list[tuple[Any, ...]]:
        with psycopg.connect(host="127.0.0.1", port=self.port, user=self.upstream["user"], dbname=dbname,
                             password=self.upstream.get("password"), autocommit=True, connect_timeout=2,
                             prepare_threshold=None) as conn:
            return conn.execute(sql).fetchall()

    def admin(self, command: str) -> list[tuple[Any, ...]]:
        """A PgBouncer console command (``SHOW POOLS`` …) on its ``pgbouncer`` admin database."""
        with psycopg.connect(host="127.0.0.1", port=self.port, user=self.upstream["user"], dbname="pgbouncer",
                             autocommit=True, connect_timeout=2, prepare_threshold=None) as conn:
            cur = psycopg.ClientCursor(conn)
            cur.execute(command)
            return cur.fetchall()


def redis_command(port: int, *args: str, timeout: float = 1.0) -> bytes:
    """One raw RESP command to 127.0.0.1:``port``; the reply's raw bytes (small replies only)."""
    payload = f"*{len(args)}\r\n".encode() + b"".join(f"${len(a.encode())}\r\n{a}\r\n".encode() for a in args)
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as sock:
        sock.sendall(payload)
        sock.settimeout(timeout)
        data = sock.recv(65536)
    return data


class RedisNode:
    """A ``redis-server`` on a loopback port (no persistence), optionally a replica of ``replica_of``."""

    def __init__(self, *, replica_of: int | None = None, port: int | None = None) -> None:
        self.binary = shutil.which("redis-server") or "/usr/bin/redis-server"
        self.port = port or free_port()
        self.dir = tempfile.mkdtemp(prefix="cm-redisnode-")
        self.replica_of = replica_of
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self, timeout: float = 10) -> None:
        argv = [self.binary, "--bind", "127.0.0.1", "--port", str(self.port), "--save", "", "--appendonly", "no",
                "--dir", self.dir, "--daemonize", "no", "--loglevel", "warning", "--protected-mode", "no",
                "--repl-diskless-sync", "yes", "--repl-diskless-sync-delay", "0"]
        if self.replica_of is not None:
            argv += ["--replicaof", "127.0.0.1", str(self.replica_of)]
        self.proc = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        wait_until(lambda: redis_command(self.port, "PING").startswith(b"+PONG"), timeout=timeout,
                   what=f"redis on {self.port}")

    def kill(self) -> None:
        """SIGKILL: a crash, nothing flushed or handed over."""
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(timeout=10)
        self.proc = None

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            stop_process(self.proc)
        self.proc = None

    def close(self) -> None:
        self.stop()
        shutil.rmtree(self.dir, ignore_errors=True)

    def info(self, section: str) -> dict[str, str]:
        raw = redis_command(self.port, "INFO", section).decode(errors="replace")
        return dict(line.split(":", 1) for line in raw.splitlines() if ":" in line and not line.startswith("#"))


class SentinelGroup:
    """Master + replica + three Sentinels monitoring the master as ``service`` (quorum 2)."""

    def __init__(self, service: str = "cm-scale", *, down_after_ms: int = 1000, failover_timeout_ms: int = 4000
                 ) -> None:
        self.service = service
        self.master = RedisNode()
        self.replica = RedisNode(replica_of=self.master.port)
        self.dir = Path(tempfile.mkdtemp(prefix="cm-sentinels-"))
        self.ports = [free_port() for _ in range(3)]
        self.procs: list[subprocess.Popen[bytes]] = []
        self.down_after_ms = down_after_ms
        self.failover_timeout_ms = failover_timeout_ms
        self.binary = shutil.which("redis-sentinel") or "/usr/bin/redis-sentinel"
        if not Path(self.binary).exists():
            raise RuntimeError("redis-sentinel is not installed (Debian: redis-sentinel)")

    @property
    def sentinels(self) -> list[tuple[str, int]]:
        return [("127.0.0.1", p) for p in self.ports]

    @property
    def sentinels_setting(self) -> str:
        """``REDIS_SENTINELS`` for these Sentinels: ``host:port,host:port,…``."""
        return ",".join(f"{h}:{p}" for h, p in self.sentinels)

    def start(self, timeout: float = 20) -> None:
        self.master.start()
        self.replica.start()
        wait_until(lambda: self.replica.info("replication").get("master_link_status") == "up", timeout=timeout,
                   what="replica linked")
        for port in self.ports:
            conf = self.dir / f"sentinel-{port}.conf"
            conf.write_text(
                f"port {port}\nbind 127.0.0.1\ndaemonize no\ndir {self.dir}\nprotected-mode no\n"
                f"sentinel resolve-hostnames no\nsentinel monitor {self.service} 127.0.0.1 {self.master.port} 2\n"
                f"sentinel down-after-milliseconds {self.service} {self.down_after_ms}\n"
                f"sentinel failover-timeout {self.service} {self.failover_timeout_ms}\n"
                f"sentinel parallel-syncs {self.service} 1\n"
            )
            self.procs.append(subprocess.Popen([self.binary, str(conf)], stdout=subprocess.DEVNULL,
                                               stderr=subprocess.DEVNULL))
        for port in self.ports:
            wait_until(lambda port=port: self.sentinel_master(port) == self.master.port, timeout=timeout,
                       what=f"sentinel {port}")
        # Every Sentinel knows the replica and the other Sentinels before anything fails.
        wait_until(lambda: all(self._known(port) for port in self.ports), timeout=timeout, what="sentinels agree")

    def _known(self, port: int) -> bool:
        reply = redis_command(port, "SENTINEL", "MASTER", self.service).decode(errors="replace").split("\r\n")
        fields = dict(zip(reply[2::4], reply[4::4], strict=False))
        return fields.get("num-slaves") == "1" and fields.get("num-other-sentinels") == "2"

    def sentinel_master(self, port: int) -> int | None:
        reply = redis_command(port, "SENTINEL", "GET-MASTER-ADDR-BY-NAME", self.service)
        parts = reply.decode(errors="replace").split("\r\n")
        return int(parts[4]) if len(parts) > 4 and parts[4].isdigit() else None

    def current_master_port(self) -> int | None:
        for port in self.ports:
            try:
                return self.sentinel_master(port)
            except OSError:
                continue
        return None

    def kill_master(self) -> RedisNode:
        """Crash the current master (SIGKILL); returns the node that was killed."""
        port = self.current_master_port()
        node = self.master if port == self.master.port else self.replica
        node.kill()
        return node

    def wait_failover(self, old_port: int, timeout: float = 30) -> int:
        """Wait until every Sentinel names a new master (not ``old_port``) that answers as master."""
        def promoted() -> int | None:
            ports = {self.sentinel_master(p) for p in self.ports}
            if len(ports) != 1:
                return None
            (new,) = ports
            if new is None or new == old_port:
                return None
            return new if b"role:master" in redis_command(new, "INFO", "replication") else None
        return int(wait_until(promoted, timeout=timeout, interval=0.1, what="sentinel failover"))

    def close(self) -> None:
        for proc in self.procs:
            if proc.poll() is None:
                stop_process(proc)
        self.procs = []
        self.master.close()
        self.replica.close()
        shutil.rmtree(self.dir, ignore_errors=True)
