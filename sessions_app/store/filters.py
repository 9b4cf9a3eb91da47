"""``SearchOp.filter`` → SQL over the ``value`` JSON column, per vendor.

Semantics are ``InMemoryStore``'s (LangGraph's reference): each top-level key must match; a
plain value means JSON equality; a dict without ``$`` operators matches nested keys; operators
``$eq``, ``$ne`` (a missing key counts as different), ``$gt``, ``$gte``, ``$lt``, ``$lte``
(numbers compare as numbers, strings as strings; a value of another type never matches).
An unknown operator raises ``ValueError`` (before any SQL runs).
"""
from __future__ import annotations

import json
from typing import Any

_COMPARE = {"$gt": ">", "$gte": ">=", "$lt": "<", "$lte": "<="}
OPERATORS = frozenset({"$eq", "$ne", *_COMPARE})


def filter_sql(filter_: dict[str, Any] | None, vendor: str, column: str = "value") -> tuple[list[str], list[Any]]:
    """``(where clauses, params)`` for ``filter_`` (``[]`` when there is none)."""
    clauses: list[str] = []
    params: list[Any] = []
    for key, expected in (filter_ or {}).items():
        _add(clauses, params, (str(key),), expected, vendor, column)
    return clauses, params


def _add(clauses: list[str], params: list[Any], path: tuple[str, ...], expected: Any, vendor: str,
         column: str) -> None:
    if isinstance(expected, dict) and any(str(k).startswith("$") for k in expected):
        for op, operand in expected.items():
            if op not in OPERATORS:
                raise ValueError(f"Unsupported operator: {op}")
            if op == "$eq":
                _equal(clauses, params, path, operand, vendor, column, negate=False)
            elif op == "$ne":
                _equal(clauses, params, path, operand, vendor, column, negate=True)
            else:
                _compare(clauses, params, path, _COMPARE[op], operand, vendor, column)
    elif isinstance(expected, dict):
        if not expected:
            clauses.append(
                f"jsonb_typeof({column} #> %s) = 'object'" if vendor == "postgresql"
                else f"json_type({column}, %s) = 'object'"
            )
            params.append(list(path) if vendor == "postgresql" else _sqlite_path(path))
        for key, value in expected.items():
            _add(clauses, params, (*path, str(key)), value, vendor, column)
    else:
        _equal(clauses, params, path, expected, vendor, column, negate=False)


def _sqlite_path(path: tuple[str, ...]) -> str:
    return "$" + "".join('."' + p.replace('"', '""') + '"' for p in path)


def _equal(clauses: list[str], params: list[Any], path: tuple[str, ...], value: Any, vendor: str, column: str,
           *, negate: bool) -> None:
    encoded = json.dumps(value)
    if vendor == "postgresql":
        op = "IS DISTINCT FROM" if negate else "="
        clauses.append(f"({column} #> %s) {op} %s::jsonb")
        params.extend([list(path), encoded])
        return
    # SQLite: compare the JSON text of both sides, normalised by json(); scalars by type and value.
    sql_path = _sqlite_path(path)
    if value is None:
        test = f"json_type({column}, %s) = 'null'"
        args: list[Any] = [sql_path]
    elif isinstance(value, bool):
        test = f"json_type({column}, %s) = %s"
        args = [sql_path, "true" if value else "false"]
    elif isinstance(value, (int, float)):
        test = f"(json_type({column}, %s) IN ('integer', 'real') AND json_extract({column}, %s) = %s)"
        args = [sql_path, sql_path, value]
    elif isinstance(value, str):
        test = f"(json_type({column}, %s) = 'text' AND json_extract({column}, %s) = %s)"
        args = [sql_path, sql_path, value]
    else:
        test = f"(json_type({column}, %s) IN ('object', 'array') AND json(json_extract({column}, %s)) = json(%s))"
        args = [sql_path, sql_path, json.dumps(value, separators=(",", ":"))]
    clauses.append(f"COALESCE(NOT {test}, 1)" if negate else test)
    params.extend(args)


def _compare(clauses: list[str], params: list[Any], path: tuple[str, ...], op: str, operand: Any, vendor: str,
             column: str) -> None:
    numeric = isinstance(operand, (int, float)) and not isinstance(operand, bool)
    if not numeric and not isinstance(operand, str):
        raise ValueError(f"comparison operators take a number or a string, not {type(operand).__name__}")
    if vendor == "postgresql":
        kind = "number" if numeric else "string"
        cast = "::float8" if numeric else ""
        clauses.append(
            f"(jsonb_typeof({column} #> %s) = '{kind}' AND ({column} #>> %s){cast} {op} %s{cast})"
        )
        params.extend([list(path), list(path), float(operand) if numeric else operand])
        return
    sql_path = _sqlite_path(path)
    kinds = "('integer', 'real')" if numeric else "('text')"
    clauses.append(f"(json_type({column}, %s) IN {kinds} AND json_extract({column}, %s) {op} %s)")
    params.extend([sql_path, sql_path, operand])
