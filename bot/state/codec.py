"""Dataclasses to JSON and back, by their type hints, for state stored as one JSON column (a
dialogue turn with its answer and citations, a quiz question).

Loading tolerates rolling upgrades: fields a newer replica added are ignored, fields an older one
did not write take their defaults.
"""

import dataclasses
import json
import types
import typing
from functools import cache
from typing import Any, TypeVar

T = TypeVar("T")


def dump(obj: Any) -> str:
    """JSON text of a dataclass instance (nested dataclasses, lists, dicts, tuples, scalars)."""
    return json.dumps(_plain(obj), ensure_ascii=False, separators=(",", ":"))


def load(cls: type[T], data: str) -> T:
    """The ``cls`` instance that :func:`dump` wrote as ``data``."""
    return _build(cls, json.loads(data))


def _plain(obj: Any) -> Any:
    if dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        return {f.name: _plain(getattr(obj, f.name)) for f in dataclasses.fields(obj)}
    if isinstance(obj, (list, tuple)):
        return [_plain(v) for v in obj]
    if isinstance(obj, dict):
        return {str(k): _plain(v) for k, v in obj.items()}
    return obj


@cache
def _hints(cls: type) -> dict[str, Any]:
    return typing.get_type_hints(cls)


def _build(tp: Any, value: Any) -> Any:
    if value is None:
        return None
    origin = typing.get_origin(tp)
    if origin in (typing.Union, types.UnionType):
        options = [a for a in typing.get_args(tp) if a is not type(None)]
        return _build(options[0], value) if len(options) == 1 else value
    if dataclasses.is_dataclass(tp):
        hints = _hints(tp)
        known = {f.name for f in dataclasses.fields(tp) if f.init}
        return tp(**{k: _build(hints[k], v) for k, v in value.items() if k in known})
    if origin is list:
        (item,) = typing.get_args(tp) or (Any,)
        return [_build(item, v) for v in value]
    if origin is tuple:
        args = typing.get_args(tp)
        if len(args) == 2 and args[1] is Ellipsis:
            return tuple(_build(args[0], v) for v in value)
        return tuple(_build(a, v) for a, v in zip(args, value, strict=False))
    if origin is dict:
        _, item = typing.get_args(tp) or (str, Any)
        return {k: _build(item, v) for k, v in value.items()}
    if tp is float and isinstance(value, int):
        return float(value)
    return value
