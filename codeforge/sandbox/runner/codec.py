"""Plain data between the test harness and the program under test, over pipes (standard library only).

What crosses is data, never code or objects: None, bool, int, float (nan and infinities too), complex,
str, bytes, and lists, tuples, dicts, sets and frozensets of those, nested; also the standard library's
deque, Fraction and Decimal, and Python's builtin functions and types by name (a test may pass `int`). A
value that comes out of `decode` is one the receiving side made itself: its `==`, `hash` and `repr` are
Python's, whatever the program defined. A subclass of a builtin value type (a Counter, a namedtuple, an
int whose `__eq__` says yes to everything) crosses as its plain base value, read with the base type's own
methods, so none of its overrides run. Anything else the program hands back (an instance of its own class,
a generator, a function) stays in the program's process; the harness gets a reference to it
(`{"r": id, "type": name}`) that it can only call, iterate or ask attributes of, never compare as a value.

Messages are JSON, framed by a 4-byte big-endian length, at most MAX_MESSAGE bytes.
"""

from __future__ import annotations

import builtins
import json
import os
import struct

MAX_MESSAGE = 64 << 20
MAX_DEPTH = 200
_HEADER = struct.Struct(">I")


class ProtocolError(Exception):
    """The other side sent something that is not a message of this protocol (or closed the pipe)."""


class Closed(ProtocolError):
    """The other side closed its end: the process ended."""


def encode(value, reference, depth: int = 0):
    """`value` as JSON-ready data; `reference(obj)` gives the encoding of anything that is not plain data
    (the program side keeps the object and sends a reference; the harness side refuses)."""
    if depth > MAX_DEPTH:
        return reference(value)
    kind = type(value)
    if value is None or kind is bool or kind is str:
        return value
    if kind is int:
        return value if -(1 << 53) < value < (1 << 53) else {"i": hex(value)}  # hex: no digit limit
    if kind is float:
        return value  # JSON keeps it a float, exactly (repr round-trips; NaN and Infinity included)
    if kind is complex:
        return {"c": [encode(value.real, reference), encode(value.imag, reference)]}
    if kind is bytes:
        return {"b": value.hex()}
    if kind is list:
        return [encode(v, reference, depth + 1) for v in value]
    if kind is tuple:
        return {"t": [encode(v, reference, depth + 1) for v in value]}
    if kind is dict:
        return {"d": [[encode(k, reference, depth + 1), encode(v, reference, depth + 1)] for k, v in value.items()]}
    if kind is set or kind is frozenset:
        tag = "s" if kind is set else "fs"
        return {tag: [encode(v, reference, depth + 1) for v in value]}
    module = getattr(kind, "__module__", "")
    if module == "collections" and kind.__name__ == "deque":
        return {"dq": [encode(v, reference, depth + 1) for v in value]}
    if module == "fractions" and kind.__name__ == "Fraction":
        return {"fr": [encode(value.numerator, reference), encode(value.denominator, reference)]}
    if module == "decimal" and kind.__name__ == "Decimal":
        return {"dec": str(value)}
    name = getattr(value, "__name__", None)
    if isinstance(name, str) and getattr(builtins, name, None) is value:
        return {"bi": name}  # int, len, ValueError, ...: the receiver's own
    if module == "numpy":
        plain = _numpy_value(value, kind)
        if plain is not None:
            return encode(plain, reference, depth + 1)
    base = _base_value(value)
    if base is not None:
        return encode(base, reference, depth + 1)
    return reference(value)


def _numpy_value(value, kind):
    """A NumPy scalar or array as Python's own values (`item()`, `tolist()`), when it is NumPy's own type:
    a class of the program that only calls itself numpy gets no such treatment."""
    import sys

    numpy = sys.modules.get("numpy")
    if numpy is None or getattr(numpy, kind.__name__, None) is not kind:
        return None
    if kind is numpy.ndarray:
        return numpy.ndarray.tolist(value)
    if isinstance(value, numpy.generic):
        return numpy.generic.item(value)
    return None


_BASES = (int, float, complex, str, bytes, list, tuple, dict, set, frozenset)


def _base_value(value):
    """A subclass instance of a builtin value type as that type's plain value, read with the base type's
    own methods (the subclass's overrides never run); None for anything else."""
    for base in _BASES:
        if isinstance(value, base):
            if base is int:
                return int.__int__(value)
            if base is float:
                return float.__float__(value)
            if base is complex:
                return complex(*complex.__getnewargs__(value))
            if base is str:
                return str.__str__(value)
            if base is bytes:
                return bytes(memoryview(value))
            if base in (list, tuple):
                items = [base.__getitem__(value, i) for i in range(base.__len__(value))]
                return items if base is list else tuple(items)
            if base is dict:
                return dict(dict.items(value))
            return base(set.__iter__(value) if base is set else frozenset.__iter__(value))
    return None


def decode(data, resolve):
    """The value `data` encodes; `resolve(ref_dict)` turns a reference into whatever this side uses for it."""
    if data is None or isinstance(data, (bool, str)):
        return data
    if type(data) is int or type(data) is float:
        return data
    if isinstance(data, list):
        return [decode(v, resolve) for v in data]
    if not isinstance(data, dict) or len(data) not in (1, 2):
        raise ProtocolError(f"not a value: {str(data)[:80]}")
    if "r" in data:
        return resolve(data)
    (tag, body), = data.items()
    if tag == "i":
        return int(body, 16)
    if tag == "c":
        return complex(decode(body[0], resolve), decode(body[1], resolve))
    if tag == "b":
        return bytes.fromhex(body)
    if tag == "t":
        return tuple(decode(v, resolve) for v in body)
    if tag == "d":
        return {decode(k, resolve): decode(v, resolve) for k, v in body}
    if tag == "s":
        return {decode(v, resolve) for v in body}
    if tag == "fs":
        return frozenset(decode(v, resolve) for v in body)
    if tag == "dq":
        from collections import deque

        return deque(decode(v, resolve) for v in body)
    if tag == "fr":
        from fractions import Fraction

        return Fraction(decode(body[0], resolve), decode(body[1], resolve))
    if tag == "dec":
        from decimal import Decimal

        return Decimal(str(body))
    if tag == "bi":
        found = getattr(builtins, str(body), None)
        if found is None:
            raise ProtocolError(f"no builtin {body!r}")
        return found
    raise ProtocolError(f"unknown tag {tag!r}")


def send(fd: int, message: dict) -> None:
    payload = json.dumps(message, separators=(",", ":")).encode()
    if len(payload) > MAX_MESSAGE:
        raise ProtocolError(f"a message of {len(payload)} bytes is over the {MAX_MESSAGE} byte limit")
    view = memoryview(_HEADER.pack(len(payload)) + payload)
    while view:
        try:
            view = view[os.write(fd, view):]
        except BrokenPipeError as exc:
            raise Closed("the other side closed the pipe") from exc


def receive(fd: int) -> dict:
    size = _HEADER.unpack(_read_exactly(fd, _HEADER.size))[0]
    if size > MAX_MESSAGE:
        raise ProtocolError(f"a message of {size} bytes is over the {MAX_MESSAGE} byte limit")
    try:
        message = json.loads(_read_exactly(fd, size))
    except ValueError as exc:
        raise ProtocolError(f"not JSON: {exc}") from exc
    if not isinstance(message, dict):
        raise ProtocolError("a message must be a JSON object")
    return message


def _read_exactly(fd: int, size: int) -> bytes:
    chunks, left = [], size
    while left:
        chunk = os.read(fd, min(left, 1 << 20))
        if not chunk:
            raise Closed("the other side closed the pipe")
        chunks.append(chunk)
        left -= len(chunk)
    return b"".join(chunks)
