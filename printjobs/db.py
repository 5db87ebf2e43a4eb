"""The one SQLite file behind the journal, the outbox, consumables and the audit log.

One file, so that a job's transition, its print event, its consumable counts and its audit entry commit
in ONE transaction: a crash leaves all of them or none. WAL with ``synchronous=FULL`` makes every commit
durable before it returns; a version table drives the migrations.

Checks: at every open, one whose cost does not grow with the journal (:meth:`Database.check_at_open`): SQLite
reads the header and the whole schema, the schema must be the one the migrations made, and the newest rows
of every table, where a torn write after a power cut would land, must agree with every index both ways. The
full ``PRAGMA integrity_check`` reads every page; it runs in the background (:func:`full_integrity_check`,
on its own read connection, so it never holds the kiosk's lock) after start and at night.
"""

from __future__ import annotations

import contextlib
import functools
import os
import sqlite3
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

from printjobs.errors import JournalCorrupt, JournalError, SchemaTooNew

#: Ordered migrations; entry ``i`` brings the schema from version ``i`` to ``i + 1``. Never edit a shipped one.
MIGRATIONS: list[str] = [
    """
    CREATE TABLE jobs (
        job_id TEXT PRIMARY KEY,
        document_id TEXT NOT NULL,
        document_type TEXT NOT NULL,
        kind TEXT NOT NULL CHECK (kind IN ('a4', 'card')),
        printer TEXT NOT NULL,
        state TEXT NOT NULL,
        cause TEXT,
        resolution TEXT,
        technician TEXT,
        nik_hash TEXT NOT NULL,
        created_at REAL NOT NULL,
        updated_at REAL NOT NULL,
        uncertain_reported_at REAL
    );
    CREATE INDEX jobs_state ON jobs (state);
    CREATE TABLE job_transitions (
        id INTEGER PRIMARY KEY,
        job_id TEXT NOT NULL REFERENCES jobs (job_id),
        from_state TEXT,
        to_state TEXT NOT NULL,
        cause TEXT,
        at REAL NOT NULL
    );
    CREATE TABLE outbox (
        key TEXT PRIMARY KEY,
        job_id TEXT NOT NULL REFERENCES jobs (job_id),
        document_id TEXT NOT NULL,
        outcome TEXT NOT NULL,
        cause TEXT,
        counters TEXT NOT NULL,
        created_at REAL NOT NULL,
        attempts INTEGER NOT NULL DEFAULT 0,
        next_attempt_at REAL NOT NULL,
        status TEXT NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'delivered', 'rejected')),
        revision INTEGER NOT NULL DEFAULT 0,
        delivered_at REAL,
        last_error TEXT
    );
    CREATE INDEX outbox_due ON outbox (status, next_attempt_at);
    CREATE TABLE consumables (
        printer TEXT NOT NULL,
        kind TEXT NOT NULL,
        level INTEGER NOT NULL,
        updated_at REAL NOT NULL,
        PRIMARY KEY (printer, kind)
    );
    CREATE TABLE consumable_events (
        id INTEGER PRIMARY KEY,
        printer TEXT NOT NULL,
        kind TEXT NOT NULL,
        reason TEXT NOT NULL,
        delta INTEGER,
        level_after INTEGER NOT NULL,
        job_id TEXT,
        technician TEXT,
        at REAL NOT NULL
    );
    CREATE TABLE audit (
        seq INTEGER PRIMARY KEY,
        at TEXT NOT NULL,
        kind TEXT NOT NULL,
        body TEXT NOT NULL,
        prev_hash TEXT NOT NULL,
        entry_hash TEXT NOT NULL,
        signature TEXT NOT NULL
    );
    """,
    # 2: the outbox also carries anonymous satisfaction ratings (SKM): no job, only a month and a score.
    """
    CREATE TABLE outbox_v2 (
        key TEXT PRIMARY KEY,
        kind TEXT NOT NULL DEFAULT 'print' CHECK (kind IN ('print', 'rating')),
        job_id TEXT REFERENCES jobs (job_id),
        document_id TEXT,
        outcome TEXT,
        cause TEXT,
        counters TEXT NOT NULL,
        created_at REAL NOT NULL,
        attempts INTEGER NOT NULL DEFAULT 0,
        next_attempt_at REAL NOT NULL,
        status TEXT NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'delivered', 'rejected')),
        revision INTEGER NOT NULL DEFAULT 0,
        delivered_at REAL,
        last_error TEXT,
        month TEXT,
        score INTEGER CHECK (score IS NULL OR score BETWEEN 1 AND 4),
        CHECK ((kind = 'print' AND job_id IS NOT NULL AND document_id IS NOT NULL AND outcome IS NOT NULL)
               OR (kind = 'rating' AND job_id IS NULL AND month IS NOT NULL AND score IS NOT NULL))
    );
    INSERT INTO outbox_v2 (key, job_id, document_id, outcome, cause, counters, created_at, attempts,
                           next_attempt_at, status, revision, delivered_at, last_error)
        SELECT key, job_id, document_id, outcome, cause, counters, created_at, attempts, next_attempt_at, status,
               revision, delivered_at, last_error FROM outbox;
    DROP TABLE outbox;
    ALTER TABLE outbox_v2 RENAME TO outbox;
    CREATE INDEX outbox_due ON outbox (status, next_attempt_at)
    """,
    # 3: indexes for the lookups that grew with the journal's age (the technician's newest jobs, a job's
    # history and events, pruning by age, the monthly audit report).
    """
    CREATE INDEX jobs_created ON jobs (created_at);
    CREATE INDEX jobs_updated ON jobs (state, updated_at);
    CREATE INDEX job_transitions_job ON job_transitions (job_id);
    CREATE INDEX outbox_job ON outbox (job_id, status);
    CREATE INDEX consumable_events_at ON consumable_events (at);
    CREATE INDEX audit_at ON audit (at);
    """,
]

SCHEMA_VERSION = len(MIGRATIONS)

#: SQLite's page cache for the journal, in KiB. A transition touches a few pages of the jobs in flight; with
#: SQLite's default (2000 KiB) the cache filled as the file grew with finished jobs, and the kiosk's RSS with
#: it, by about 1 MB per 300 sessions (bench: RSS growth).
CACHE_KIB = 256
#: SQLite's default: a commit that leaves the WAL longer than this many pages checkpoints it.
WAL_AUTOCHECKPOINT_PAGES = 1000

#: How many of the newest rows of each table :meth:`Database.check_at_open` checks against every index.
OPEN_CHECK_ROWS = 64


class Database:
    """A serialised SQLite connection with durable settings, checked at open and migrated to the current schema.

    One connection shared by the threads of one process (the outbox worker, the print worker), guarded by a
    lock; other processes (the ``adm-kiosk journal`` command) open their own and meet through WAL locking.
    """

    def __init__(self, path: Path, *, timeout_s: float = 10.0):
        self.path = Path(path)
        self.timeout_s = timeout_s
        self._lock = threading.RLock()
        self._after_commit: list[Callable[[], None]] = []
        self._depth = 0
        _create_private(self.path)
        try:
            self._conn = sqlite3.connect(
                str(self.path), timeout=timeout_s, isolation_level=None, check_same_thread=False
            )
            self._conn.row_factory = sqlite3.Row
            if self.path.stat().st_size == 0:
                # A new file: pages freed by pruning can go back to the disk a few at a time
                # (:meth:`release_free_pages`); SQLite allows this only before the file is written.
                self._conn.execute("PRAGMA auto_vacuum=INCREMENTAL")
            mode = self._conn.execute("PRAGMA journal_mode=WAL").fetchone()[0]
            if str(mode).lower() != "wal":
                raise JournalError(f"{self.path}: could not switch to WAL (got {mode})")
            self._conn.execute("PRAGMA synchronous=FULL")
            self._conn.execute("PRAGMA foreign_keys=ON")
            self._conn.execute(f"PRAGMA cache_size=-{CACHE_KIB}")
            self.check_at_open()
            self._migrate()
        except sqlite3.OperationalError as exc:  # locked too long, cannot open, read-only: not corruption
            raise JournalError(f"{self.path}: {exc}") from exc
        except sqlite3.DatabaseError as exc:  # "file is not a database", "database disk image is malformed"
            raise JournalCorrupt(f"{self.path}: {exc}") from exc

    # ------------------------------------------------------------------ checks and schema
    def check_integrity(self) -> None:
        """Raise :class:`JournalCorrupt` unless SQLite's full integrity check answers ``ok``."""
        with self._lock:
            rows = [r[0] for r in self._conn.execute("PRAGMA integrity_check").fetchall()]
        if rows != ["ok"]:
            raise JournalCorrupt(f"{self.path}: integrity check failed: {'; '.join(map(str, rows[:5]))}")

    def check_at_open(self) -> None:
        """Raise :class:`JournalCorrupt` when a bounded check finds damage; its cost does not grow with the file.

        Reading the schema makes SQLite check the header (magic, page size, a size larger than the file: a
        truncated file). Then every table and index of the schema must be there with its own definition, and
        the newest :data:`OPEN_CHECK_ROWS` rows of each table (the pages written last) must be found in every
        index of the table, and the newest entries of each index must point to rows that hold the same values.
        Damage elsewhere is left to the full check (:func:`full_integrity_check`), which the kiosk runs in the
        background (:mod:`printjobs.maintenance`).
        """
        with self._lock:
            # One read transaction: every query sees the same snapshot, though the kiosk may be committing
            # while a command opens the journal beside it.
            self._conn.execute("BEGIN")
            try:
                problems = _bounded_check(self._conn)
            finally:
                self._conn.execute("ROLLBACK")
        if problems:
            raise JournalCorrupt(f"{self.path}: integrity check failed: {'; '.join(problems[:5])}")

    @property
    def schema_version(self) -> int:
        """The version the file is at (after :meth:`_migrate`, always :data:`SCHEMA_VERSION`)."""
        with self._lock:
            row = self._conn.execute("SELECT version FROM schema_version").fetchone()
        return int(row[0])

    def _migrate(self) -> None:
        with self.transaction() as conn:
            conn.execute("CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)")
            row = conn.execute("SELECT version FROM schema_version").fetchone()
            if row is None:
                conn.execute("INSERT INTO schema_version (version) VALUES (0)")
                current = 0
            else:
                current = int(row[0])
            if current > SCHEMA_VERSION:
                raise SchemaTooNew(f"{self.path}: schema {current} is newer than this software ({SCHEMA_VERSION})")
            for version in range(current, SCHEMA_VERSION):
                # executescript would COMMIT our transaction; run the statements one by one instead.
                for statement in _statements(MIGRATIONS[version]):
                    conn.execute(statement)
                conn.execute("UPDATE schema_version SET version = ?", (version + 1,))

    # ------------------------------------------------------------------ transactions
    @contextlib.contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """``BEGIN IMMEDIATE`` ... ``COMMIT`` (rolled back on any error); nested calls join the outer one.

        Callbacks registered with :meth:`after_commit` run once the outermost transaction has committed.
        """
        with self._lock:
            if self._depth:
                self._depth += 1
                try:
                    yield self._conn
                finally:
                    self._depth -= 1
                return
            self._conn.execute("BEGIN IMMEDIATE")
            self._depth = 1
            try:
                yield self._conn
            except BaseException:
                self._after_commit.clear()
                self._conn.execute("ROLLBACK")
                raise
            finally:
                self._depth = 0
            self._conn.execute("COMMIT")
            callbacks, self._after_commit = self._after_commit, []
        for callback in callbacks:
            callback()

    def after_commit(self, callback: Callable[[], None]) -> None:
        """Run ``callback`` after the current transaction commits (never if it rolls back)."""
        with self._lock:
            if not self._depth:
                raise JournalError("after_commit outside a transaction")
            self._after_commit.append(callback)

    def release_free_pages(self, pages: int = 256, *, pause_s: float = 0.02) -> int:
        """Give pages freed by pruning back to the disk, ``pages`` per transaction; returns the file's pages then.

        Only journals created with incremental auto-vacuum can; an older file keeps its free pages and reuses
        them for new jobs, so it stops growing instead of shrinking."""
        while True:
            with self.transaction() as conn:
                if conn.execute("PRAGMA auto_vacuum").fetchone()[0] != 2:
                    break
                free = conn.execute("PRAGMA freelist_count").fetchone()[0]
                if not free:
                    break
                conn.execute(f"PRAGMA incremental_vacuum({int(pages)})").fetchall()
            if pause_s:
                time.sleep(pause_s)
        return int(self.query("PRAGMA page_count")[0][0])

    def query(self, sql: str, params: tuple = ()) -> list[sqlite3.Row]:
        """Run a read-only query and return all rows."""
        with self._lock:
            return self._conn.execute(sql, params).fetchall()

    @contextlib.contextmanager
    def checkpoints_aside(self) -> Iterator[Callable[[], None]]:
        """Within the block, commits on this connection leave the WAL to grow (no automatic checkpoint); the
        callable it gives folds the WAL back into the file from a connection of its own.

        An automatic checkpoint runs inside the commit that crosses :data:`WAL_AUTOCHECKPOINT_PAGES` and holds
        this connection (and so the print worker) while it writes those pages back and syncs the file: the
        longest waits of a long run of writes (pruning). A passive checkpoint on another connection takes no
        lock a writer waits for, so the work that writes much checkpoints between its transactions instead.
        """
        with self._lock:
            self._conn.execute("PRAGMA wal_autocheckpoint=0")
        side = sqlite3.connect(str(self.path), timeout=self.timeout_s, isolation_level=None,
                               check_same_thread=False)

        def checkpoint() -> None:
            side.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchall()

        try:
            yield checkpoint
            checkpoint()
        finally:
            side.close()
            with self._lock:
                self._conn.execute(f"PRAGMA wal_autocheckpoint={WAL_AUTOCHECKPOINT_PAGES}")

    def close(self) -> None:
        """Close the connection (a checkpoint folds the WAL back into the main file)."""
        with self._lock:
            self._conn.close()


def full_integrity_check(path: Path, *, timeout_s: float = 30.0) -> list[str]:
    """SQLite's full ``integrity_check`` of the file at ``path`` on a read-only connection of its own.

    Returns the problems found (empty when the file is intact). WAL lets the kiosk go on writing meanwhile:
    the check reads one consistent snapshot and holds no lock the print worker waits for. Its page cache is
    kept small so the check does not grow the kiosk's memory.
    """
    try:
        conn = sqlite3.connect(f"file:{Path(path)}?mode=ro", uri=True, timeout=timeout_s, isolation_level=None)
    except sqlite3.OperationalError as exc:
        raise JournalError(f"{path}: {exc}") from exc
    try:
        conn.execute(f"PRAGMA cache_size=-{CACHE_KIB}")
        rows = [str(r[0]) for r in conn.execute("PRAGMA integrity_check").fetchall()]
    except sqlite3.OperationalError as exc:
        raise JournalError(f"{path}: {exc}") from exc
    except sqlite3.DatabaseError as exc:
        return [str(exc)]
    finally:
        conn.close()
    return [] if rows == ["ok"] else rows


def _bounded_check(conn: sqlite3.Connection) -> list[str]:
    """The checks of :meth:`Database.check_at_open`; SQLite's own errors propagate as DatabaseError."""
    objects = {(row[0], row[1]): (row[2], row[3]) for row in
               conn.execute("SELECT type, name, tbl_name, sql FROM sqlite_master")}
    version_row = None
    if ("table", "schema_version") in objects:
        version_row = conn.execute("SELECT version FROM schema_version").fetchone()
    if version_row is None:
        return []  # a new file: the migrations make the schema
    problems = [f"{kind} {name}: {why}" for (kind, name), why in _schema_differences(objects, int(version_row[0]))]
    if problems:
        return problems
    for (kind, table), _ in sorted(objects.items()):
        if kind == "table" and not table.startswith("sqlite_"):
            problems += _check_newest_rows(conn, table)
    return problems


@functools.cache
def _expected_schema(version: int) -> dict[tuple[str, str], str]:
    """The (type, name) -> normalised SQL that migrations 0..version-1 leave, read from running them on an
    empty in-memory database (a migration may rebuild a table: what counts is what it leaves)."""
    with contextlib.closing(sqlite3.connect(":memory:")) as conn:
        conn.execute("CREATE TABLE schema_version (version INTEGER NOT NULL)")
        for script in MIGRATIONS[:version]:
            for statement in _statements(script):
                conn.execute(statement)
        rows = conn.execute("SELECT type, name, sql FROM sqlite_master").fetchall()
    return {(kind, name): _normal(sql) for kind, name, sql in rows
            if sql is not None and not name.startswith("sqlite_")}


def _schema_differences(objects: dict[tuple[str, str], tuple[str, str | None]],
                        version: int) -> list[tuple[tuple[str, str], str]]:
    if version > SCHEMA_VERSION:
        return []  # refused as too new by the migration step, with its own message
    expected = _expected_schema(version)
    found = {key: _normal(sql) for key, (_, sql) in objects.items()
             if sql is not None and not key[1].startswith("sqlite_")}  # autoindexes, ANALYZE's statistics
    problems = [(key, "missing") for key in expected if key not in found]
    problems += [(key, "definition differs") for key in expected if key in found and found[key] != expected[key]]
    problems += [(key, "unexpected") for key in found if key not in expected]
    return problems


def _normal(sql: str) -> str:
    return " ".join(sql.replace("IF NOT EXISTS ", "").split()).lower()


def _check_newest_rows(conn: sqlite3.Connection, table: str) -> list[str]:
    """The newest rows of ``table`` are in each index, and each index's last entries point to matching rows."""
    problems: list[str] = []
    indexes = [row[1] for row in conn.execute(f"PRAGMA index_list('{table}')")]
    columns = {index: [row[2] for row in conn.execute(f"PRAGMA index_info('{index}')")] for index in indexes}
    wanted = sorted({c for cols in columns.values() for c in cols})
    select = ", ".join(["rowid", *wanted])
    newest = conn.execute(f"SELECT {select} FROM '{table}' NOT INDEXED ORDER BY rowid DESC LIMIT ?",
                          (OPEN_CHECK_ROWS,)).fetchall()
    for index, cols in columns.items():
        where = " AND ".join([*(f"{c} IS ?" for c in cols), "rowid = ?"])
        for row in newest:
            values = [row[wanted.index(c) + 1] for c in cols]
            found = conn.execute(f"SELECT COUNT(*) FROM '{table}' INDEXED BY '{index}' WHERE {where}",
                                 (*values, row[0])).fetchone()[0]
            if found != 1:
                problems.append(f"index {index} misses row {row[0]} of {table}")
                break
        order = ", ".join(f"{c} DESC" for c in cols)
        entries = conn.execute(f"SELECT rowid, {', '.join(cols)} FROM '{table}' INDEXED BY '{index}'"
                               f" ORDER BY {order}, rowid DESC LIMIT ?", (OPEN_CHECK_ROWS,)).fetchall()
        for entry in entries:
            row = conn.execute(f"SELECT {', '.join(cols)} FROM '{table}' NOT INDEXED WHERE rowid = ?",
                               (entry[0],)).fetchone()
            if row is None or tuple(row) != tuple(entry[1:]):
                problems.append(f"index {index} points to a row {table} does not hold ({entry[0]})")
                break
    return problems


def _statements(script: str) -> list[str]:
    return [s.strip() for s in script.split(";") if s.strip()]


def _create_private(path: Path) -> None:
    """Create the file readable by its owner only; SQLite gives the -wal and -shm files the same mode."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    os.close(fd)


def load_or_create_secret(path: Path, size: int = 32) -> bytes:
    """Read a random secret from ``path``, creating it (mode 0600, atomically) on first use."""
    path = Path(path)
    if not path.exists():
        create_private_once(path, os.urandom(size))
    data = path.read_bytes()
    if len(data) != size:
        raise JournalError(f"{path}: a secret of {len(data)} bytes, expected {size}")
    return data


def create_private_once(path: Path, data: bytes) -> bool:
    """Create ``path`` (mode 0600) holding ``data``, complete or not at all; False when it already existed.

    Written to a temporary file, fsynced, then hard-linked into place: unlike a rename, a link never
    replaces a file another process created meanwhile, so two processes starting at once agree on one key.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.{threading.get_ident()}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as handle:
        handle.write(data)
        handle.flush()
        os.fsync(handle.fileno())
    try:
        os.link(tmp, path)
        created = True
    except FileExistsError:
        created = False
    finally:
        tmp.unlink()
    _fsync_dir(path.parent)
    return created


def write_private_atomic(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` with mode 0600 via a temporary file and rename, then fsync the directory."""
    path = Path(path)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.{threading.get_ident()}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as handle:
        handle.write(data)
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(tmp, path)
    _fsync_dir(path.parent)


def _fsync_dir(directory: Path) -> None:
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
