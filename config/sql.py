"""Plain SQL for the publishing hot path, built once per shape from the models' metadata.

Every publish runs about a dozen statements. Built through the ORM, each cost about 0.5 ms
of a worker's CPU (constructing and compiling the query), several times what the database
spent running it, and on a two-core machine that capped publishing at about 90 posts a second.
These helpers build the same statements once per process and per shape (which model, which
columns), and prepare every value through its model field (`get_db_prep_save`), exactly as the
ORM does, so the rows written are the same on PostgreSQL and SQLite.

On PostgreSQL each statement is also prepared once per connection (PREPARE, then EXECUTE):
planning the target's four-table read alone cost PostgreSQL 0.7 ms per publish, ten times
running it.

Inside `batch()`, writes whose result nobody reads wait and go out in one query with the next
statement (see `batch`): every round trip costs both sides CPU, and a publish ran a dozen.

Use them only where a profile shows the ORM's cost matters; everything else stays on the ORM.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import re
import weakref
from collections.abc import Iterable, Iterator, Mapping, Sequence
from typing import Any

from django.db import DEFAULT_DB_ALIAS, connections, models
from django.db.models.fields import AutoFieldMixin

# The statements prepared on each open PostgreSQL connection (a new connection starts empty).
_prepared: weakref.WeakKeyDictionary[Any, set[str]] = weakref.WeakKeyDictionary()
# Statements held back by `batch()`, per open PostgreSQL connection (see `batch`).
_held: weakref.WeakKeyDictionary[Any, list[_Statement]] = weakref.WeakKeyDictionary()
_PLACEHOLDER = re.compile(r"%s")
# A statement, its parameters, and whether to prepare it (SET and the like cannot be).
_Statement = tuple[str, list[Any], bool]


def _db() -> Any:
    # The connection object itself: `django.db.connection` is a proxy that looks the
    # connection up again on every attribute, several times per statement otherwise.
    return connections[DEFAULT_DB_ALIAS]


@functools.lru_cache(maxsize=512)
def _prepared_as(query: str, count: int) -> tuple[str, str, str]:
    """The name, the PREPARE and the EXECUTE (with `count` placeholders) for a query."""
    name = "beat_" + hashlib.blake2s(query.encode(), digest_size=8).hexdigest()
    counter = iter(range(1, count + 1))
    numbered = _PLACEHOLDER.sub(lambda _m: f"${next(counter)}", query)
    run = f"EXECUTE {name}({', '.join(['%s'] * count)})" if count else f"EXECUTE {name}"
    return name, f"PREPARE {name} AS {numbered}", run


def _executable(db: Any, cursor: Any, query: str, params: Sequence[Any]) -> str:
    """The EXECUTE for `query` on this PostgreSQL connection, preparing it the first time."""
    name, prepare, run = _prepared_as(query, len(params))
    names = _prepared.setdefault(db.connection, set())
    if name not in names:
        cursor.execute(prepare)
        names.add(name)
    return run


def execute(cursor: Any, query: str, params: Sequence[Any] = (), *, db: Any = None) -> None:
    """Run `query` (with %s placeholders) on `cursor`; on PostgreSQL as a prepared statement.

    A prepared statement survives a rolled-back transaction, so the set of names only ever
    grows, and only with the shapes this module builds (a few dozen at most). Statements held
    back by `batch()` go first, in the same round trip.
    """
    db = db or _db()
    if db.vendor != "postgresql":
        cursor.execute(query, params)
        return
    _send(db, cursor, [*_take_held(db), (query, list(params), True)])


def _send(db: Any, cursor: Any, statements: list[_Statement]) -> None:
    # psycopg2 binds parameters on the client and sends the statements as one query; the
    # cursor's rows and rowcount are those of the last one.
    texts = [_executable(db, cursor, q, p) if prepare else q for q, p, prepare in statements]
    cursor.execute("; ".join(texts), [value for _q, params, _p in statements for value in params])


def _holding(db: Any) -> list[_Statement] | None:
    """What `batch()` holds on this connection, or None outside a batch (and on SQLite)."""
    if db.vendor != "postgresql" or db.connection is None:
        return None
    return _held.get(db.connection)


def _take_held(db: Any) -> list[_Statement]:
    """The statements held on this connection, in order; none are held after this."""
    held = _holding(db)
    if not held:
        return []
    taken = held[:]
    held.clear()
    return taken


def _hold(db: Any, query: str, params: list[Any], *, prepare: bool = True) -> bool:
    """Keep a statement whose result nobody reads for the next round trip, inside a batch."""
    held = _holding(db)
    if held is None:
        return False
    held.append((query, params, prepare))
    return True


def flush() -> None:
    """Send the statements `batch()` is holding, now (one round trip; none if nothing is)."""
    db = _db()
    statements = _take_held(db)
    if statements:
        with db.cursor() as cursor:
            _send(db, cursor, statements)


@contextlib.contextmanager
def batch() -> Iterator[None]:
    """Hold back writes made with `defer=True` and send them with the next statement.

    Each statement is a round trip to PostgreSQL, and recording a publish ran nine of them.
    Inside a batch, a write whose result nobody reads (`update` and `insert` with `defer=True`,
    and `execute_later`) waits and goes out in one query with the next statement this module
    runs, or when the batch ends; the order of the statements is kept. Use it inside a
    transaction, and flush (`flush()`) before anything that is not this module reads what a
    held write changes. On SQLite, where there is no round trip, nothing is held. Nested
    batches join the outer one; if the block raises, what is held is dropped with the
    transaction it was meant for.
    """
    db = _db()
    if db.vendor != "postgresql":
        yield
        return
    db.ensure_connection()
    if _holding(db) is not None:
        yield
        return
    raw = db.connection
    _held[raw] = []
    try:
        yield
        flush()
    finally:
        _held.pop(raw, None)


def execute_later(query: str, params: Sequence[Any] = (), *, prepare: bool = True) -> None:
    """Run a statement whose result nobody reads; inside `batch()`, with the next one.

    `prepare=False` for what PostgreSQL cannot prepare (SET, LOCK, ...).
    """
    db = _db()
    if _hold(db, query, list(params), prepare=prepare):
        return
    with db.cursor() as cursor:
        if prepare:
            execute(cursor, query, params, db=db)
        else:
            cursor.execute(query, params)


def _field(model: type[models.Model], name: str) -> models.Field:
    return model._meta.pk if name == "pk" else model._meta.get_field(name)


def _column(model: type[models.Model], name: str) -> str:
    return _db().ops.quote_name(_field(model, name).column)


@functools.lru_cache(maxsize=256)
def _update_sql(
    vendor: str,
    model: type[models.Model],
    names: tuple[str, ...],
    added: tuple[str, ...],
    where: tuple[str, ...],
) -> tuple[str, tuple[models.Field, ...], tuple[models.Field, ...]]:
    table = _db().ops.quote_name(model._meta.db_table)
    sets = [f"{_column(model, n)} = %s" for n in names]
    sets += [f"{_column(model, n)} = {_column(model, n)} + %s" for n in added]
    conditions = " AND ".join(f"{_column(model, n)} = %s" for n in where)
    query = f"UPDATE {table} SET {', '.join(sets)} WHERE {conditions}"  # noqa: S608 - model names
    return (
        query,
        tuple(_field(model, n) for n in names),
        tuple(_field(model, n) for n in where),
    )


def update(
    model: type[models.Model],
    values: Mapping[str, Any],
    *,
    where: Mapping[str, Any],
    add: Mapping[str, int] | None = None,
    defer: bool = False,
) -> int | None:
    """`UPDATE model SET values, column = column + add WHERE every where-pair is equal`.

    Returns the number of rows changed, as `QuerySet.update` does; None when `defer` held the
    statement back inside a `batch()`.
    """
    db = _db()
    add = add or {}
    query, set_fields, where_fields = _update_sql(
        db.vendor, model, tuple(values), tuple(add), tuple(where)
    )
    params = [f.get_db_prep_save(v, db) for f, v in zip(set_fields, values.values(), strict=True)]
    params += list(add.values())
    params += [f.get_db_prep_save(v, db) for f, v in zip(where_fields, where.values(), strict=True)]
    if defer and _hold(db, query, params):
        return None
    with db.cursor() as cursor:
        execute(cursor, query, params, db=db)
        return cursor.rowcount


@functools.lru_cache(maxsize=64)
def _insert_shape(
    vendor: str, model: type[models.Model], ignore_conflicts: bool, returning: bool
) -> tuple[str, tuple[models.Field, ...]]:
    ops = _db().ops
    generated = isinstance(model._meta.pk, AutoFieldMixin)  # the database numbers the rows
    fields = tuple(f for f in model._meta.concrete_fields if not (generated and f.primary_key))
    table = ops.quote_name(model._meta.db_table)
    columns = ", ".join(ops.quote_name(f.column) for f in fields)
    head = f"INSERT INTO {table} ({columns}) VALUES "  # noqa: S608 - model names
    tail = " ON CONFLICT DO NOTHING" if ignore_conflicts else ""
    if returning:
        tail += f" RETURNING {ops.quote_name(model._meta.pk.column)}"
    return head + "{rows}" + tail, fields


def insert(
    objs: Sequence[models.Model], *, ignore_conflicts: bool = False, defer: bool = False
) -> None:
    """Insert unsaved instances of one model in one statement; sets their primary keys.

    With `ignore_conflicts`, a row that would break a unique constraint is skipped (and no
    key is set), as `bulk_create(ignore_conflicts=True)` does. With `defer`, inside a
    `batch()`, the insert waits for the next round trip and no key is set.
    """
    if not objs:
        return
    db = _db()
    model = type(objs[0])
    generated = isinstance(model._meta.pk, AutoFieldMixin)
    held = defer and _holding(db) is not None
    returning = generated and not ignore_conflicts and not held
    template, fields = _insert_shape(db.vendor, model, ignore_conflicts, returning)
    row = "(" + ", ".join(["%s"] * len(fields)) + ")"
    params: list[Any] = []
    for obj in objs:
        params += [f.get_db_prep_save(getattr(obj, f.attname), db) for f in fields]
    query = template.format(rows=", ".join([row] * len(objs)))
    if held:
        _hold(db, query, params)
        return
    with db.cursor() as cursor:
        execute(cursor, query, params, db=db)
        if returning:
            for obj, (pk,) in zip(objs, cursor.fetchall(), strict=True):
                obj.pk = pk
                obj._state.adding = False
                obj._state.db = db.alias


def select(sql: str, params: Iterable[Any] = ()) -> list[tuple]:
    """Rows of a hand-written SELECT."""
    db = _db()
    with db.cursor() as cursor:
        execute(cursor, sql, list(params), db=db)
        return cursor.fetchall()


def table(model: type[models.Model]) -> str:
    return _db().ops.quote_name(model._meta.db_table)


def column(model: type[models.Model], name: str) -> str:
    return _column(model, name)


class Reader:
    """Reads one model's columns out of a hand-written SELECT into an instance.

    `columns` goes into the SELECT list (every concrete field, qualified by `alias`); `build`
    turns that slice of a row into an instance, through the same converters the ORM applies
    (SQLite returns datetimes as text, JSON comes back as a string, ...).
    """

    def __init__(self, model: type[models.Model], alias: str) -> None:
        self.model = model
        connection = _db()
        fields = model._meta.concrete_fields
        self.names = [f.attname for f in fields]
        self.columns = ", ".join(f"{alias}.{connection.ops.quote_name(f.column)}" for f in fields)
        self.width = len(fields)
        self.converters = []
        for index, f in enumerate(fields):
            expression = f.get_col(alias)
            found = connection.ops.get_db_converters(expression) + f.get_db_converters(connection)
            if found:
                self.converters.append((index, expression, found))

    def build(self, row: Sequence[Any], start: int = 0) -> models.Model:
        connection = _db()
        values = list(row[start : start + self.width])
        for index, expression, converters in self.converters:
            for convert in converters:
                values[index] = convert(values[index], expression, connection)
        return self.model.from_db(connection.alias, self.names, values)
