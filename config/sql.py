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

Use them only where a profile shows the ORM's cost matters; everything else stays on the ORM.
"""

from __future__ import annotations

import functools
import hashlib
import re
import weakref
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from django.db import connection, models
from django.db.models.fields import AutoFieldMixin

# The statements prepared on each open PostgreSQL connection (a new connection starts empty).
_prepared: weakref.WeakKeyDictionary[Any, set[str]] = weakref.WeakKeyDictionary()
_PLACEHOLDER = re.compile(r"%s")


def execute(cursor: Any, query: str, params: Sequence[Any] = ()) -> None:
    """Run `query` (with %s placeholders) on `cursor`; on PostgreSQL as a prepared statement.

    A prepared statement survives a rolled-back transaction, so the set of names only ever
    grows, and only with the shapes this module builds (a few dozen at most).
    """
    if connection.vendor != "postgresql":
        cursor.execute(query, params)
        return
    name = "beat_" + hashlib.blake2s(query.encode(), digest_size=8).hexdigest()
    names = _prepared.setdefault(connection.connection, set())
    if name not in names:
        counter = iter(range(1, len(params) + 1))
        numbered = _PLACEHOLDER.sub(lambda _m: f"${next(counter)}", query)
        cursor.execute(f"PREPARE {name} AS {numbered}")
        names.add(name)
    if params:
        cursor.execute(f"EXECUTE {name}({', '.join(['%s'] * len(params))})", params)
    else:
        cursor.execute(f"EXECUTE {name}")


def _field(model: type[models.Model], name: str) -> models.Field:
    return model._meta.pk if name == "pk" else model._meta.get_field(name)


def _column(model: type[models.Model], name: str) -> str:
    return connection.ops.quote_name(_field(model, name).column)


def _prep(model: type[models.Model], name: str, value: Any) -> Any:
    return _field(model, name).get_db_prep_save(value, connection)


@functools.lru_cache(maxsize=256)
def _update_sql(
    vendor: str,
    model: type[models.Model],
    names: tuple[str, ...],
    added: tuple[str, ...],
    where: tuple[str, ...],
) -> str:
    table = connection.ops.quote_name(model._meta.db_table)
    sets = [f"{_column(model, n)} = %s" for n in names]
    sets += [f"{_column(model, n)} = {_column(model, n)} + %s" for n in added]
    conditions = " AND ".join(f"{_column(model, n)} = %s" for n in where)
    return f"UPDATE {table} SET {', '.join(sets)} WHERE {conditions}"  # noqa: S608 - model names


def update(
    model: type[models.Model],
    values: Mapping[str, Any],
    *,
    where: Mapping[str, Any],
    add: Mapping[str, int] | None = None,
) -> int:
    """`UPDATE model SET values, column = column + add WHERE every where-pair is equal`.

    Returns the number of rows changed, as `QuerySet.update` does.
    """
    add = add or {}
    sql = _update_sql(connection.vendor, model, tuple(values), tuple(add), tuple(where))
    params = [_prep(model, n, v) for n, v in values.items()]
    params += list(add.values())
    params += [_prep(model, n, v) for n, v in where.items()]
    with connection.cursor() as cursor:
        execute(cursor, sql, params)
        return cursor.rowcount


@functools.lru_cache(maxsize=64)
def _insert_shape(
    vendor: str, model: type[models.Model], ignore_conflicts: bool
) -> tuple[str, tuple[models.Field, ...], bool]:
    generated = isinstance(model._meta.pk, AutoFieldMixin)  # the database numbers the rows
    fields = tuple(f for f in model._meta.concrete_fields if not (generated and f.primary_key))
    table = connection.ops.quote_name(model._meta.db_table)
    columns = ", ".join(connection.ops.quote_name(f.column) for f in fields)
    head = f"INSERT INTO {table} ({columns}) VALUES "  # noqa: S608 - model names
    tail = " ON CONFLICT DO NOTHING" if ignore_conflicts else ""
    returning = generated and not ignore_conflicts
    if returning:
        tail += f" RETURNING {connection.ops.quote_name(model._meta.pk.column)}"
    return head + "{rows}" + tail, fields, returning


def insert(objs: Sequence[models.Model], *, ignore_conflicts: bool = False) -> None:
    """Insert unsaved instances of one model in one statement; sets their primary keys.

    With `ignore_conflicts`, a row that would break a unique constraint is skipped (and no
    key is set), as `bulk_create(ignore_conflicts=True)` does.
    """
    if not objs:
        return
    model = type(objs[0])
    template, fields, returning = _insert_shape(connection.vendor, model, ignore_conflicts)
    row = "(" + ", ".join(["%s"] * len(fields)) + ")"
    params: list[Any] = []
    for obj in objs:
        params += [f.get_db_prep_save(getattr(obj, f.attname), connection) for f in fields]
    with connection.cursor() as cursor:
        execute(cursor, template.format(rows=", ".join([row] * len(objs))), params)
        if returning:
            for obj, (pk,) in zip(objs, cursor.fetchall(), strict=True):
                obj.pk = pk
                obj._state.adding = False
                obj._state.db = connection.alias


def select(sql: str, params: Iterable[Any] = ()) -> list[tuple]:
    """Rows of a hand-written SELECT."""
    with connection.cursor() as cursor:
        execute(cursor, sql, list(params))
        return cursor.fetchall()


def table(model: type[models.Model]) -> str:
    return connection.ops.quote_name(model._meta.db_table)


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
        values = list(row[start : start + self.width])
        for index, expression, converters in self.converters:
            for convert in converters:
                values[index] = convert(values[index], expression, connection)
        return self.model.from_db(connection.alias, self.names, values)
