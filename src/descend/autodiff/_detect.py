"""Which backend a function is written for, read from the names its code uses."""

from __future__ import annotations

import dis
import functools
import os
import sysconfig
import types

#: The top-level packages whose use marks a function as written for a backend.
ROOTS = {"jax": "jax", "jaxlib": "jax", "torch": "torch", "autograd": "autograd"}

#: How deep the search follows the functions a function calls (helpers of helpers).
DEPTH = 4

#: Where installed libraries and the standard library live: their functions are not followed
#: (the backend of a user's function shows in the user's own code).
_LIBRARIES = tuple(
    os.path.abspath(path) + os.sep
    for key in ("stdlib", "platstdlib", "purelib", "platlib")
    if (path := sysconfig.get_paths().get(key))
)


def detect(fun) -> str | None:
    """The backend ``fun`` is written for, or None (see :func:`descend.autodiff.detect`)."""
    found: set[str] = set()
    _scan(fun, found, set(), 0)
    if len(found) > 1:
        raise ValueError(
            f"grad='auto': {_label(fun)} uses {' and '.join(sorted(found))}; name the one to "
            f"differentiate with, such as grad={sorted(found)[0]!r}"
        )
    return found.pop() if found else None


def _label(fun) -> str:
    return getattr(fun, "__qualname__", None) or type(fun).__name__


def _root(name) -> str | None:
    if not isinstance(name, str):
        return None
    return ROOTS.get(name.split(".", 1)[0])


def _classify(value, found: set, seen: set, depth: int) -> None:
    """Add the backend ``value`` belongs to, or follow it when it is a function of the
    user's."""
    if isinstance(value, types.ModuleType):
        backend = _root(value.__name__)
    elif isinstance(value, types.FunctionType):
        backend = _root(getattr(value, "__module__", None))
        if backend is None:
            if not os.path.abspath(value.__code__.co_filename).startswith(_LIBRARIES):
                _scan(value, found, seen, depth + 1)
            return
    elif isinstance(value, type) or callable(value):
        backend = _root(getattr(value, "__module__", None)) or _root(type(value).__module__)
    else:
        backend = _root(type(value).__module__)
    if backend is not None:
        found.add(backend)


def _codes(code: types.CodeType):
    """``code`` and the code of every function, lambda and comprehension defined in it."""
    yield code
    for const in code.co_consts:
        if isinstance(const, types.CodeType):
            yield from _codes(const)


def _scan(fun, found: set, seen: set, depth: int) -> None:
    if depth > DEPTH or id(fun) in seen:
        return
    seen.add(id(fun))
    # the function behind the wrappers users hand over
    if isinstance(fun, functools.partial):
        for value in (*fun.args, *fun.keywords.values()):
            _classify(value, found, seen, depth)
        _scan(fun.func, found, seen, depth + 1)
        return
    if isinstance(fun, types.MethodType):
        _classify(fun.__self__, found, seen, depth)
        _scan(fun.__func__, found, seen, depth + 1)
        return
    wrapped = getattr(fun, "__wrapped__", None)
    if wrapped is not None:
        _scan(wrapped, found, seen, depth + 1)
    inner = getattr(fun, "fun", None)  # a descend.Objective and its kind
    if callable(inner) and not isinstance(fun, types.FunctionType):
        _scan(inner, found, seen, depth + 1)
        return
    if not isinstance(fun, types.FunctionType):
        backend = _root(type(fun).__module__)
        if backend is not None:  # a torch.nn.Module, a jitted function ...
            found.add(backend)
            return
        # a callable object of a user's class: what it holds, and the method that runs
        for value in getattr(fun, "__dict__", {}).values():
            _classify(value, found, seen, depth)
        owners = [k for k in type(fun).__mro__ if "__call__" in k.__dict__]
        call = owners[0].__dict__["__call__"] if owners else None
        if isinstance(call, types.FunctionType):
            _scan(call, found, seen, depth + 1)
        return
    backend = _root(getattr(fun, "__module__", None))
    if backend is not None:
        found.add(backend)
        return
    namespace = fun.__globals__
    for code in _codes(fun.__code__):
        for instruction in dis.get_instructions(code):
            name = instruction.argval
            if instruction.opname == "IMPORT_NAME":  # an import inside the function
                backend = _root(name)
                if backend is not None:
                    found.add(backend)
            elif instruction.opname in ("LOAD_GLOBAL", "LOAD_NAME") and name in namespace:
                _classify(namespace[name], found, seen, depth)
    for cell in fun.__closure__ or ():
        try:
            value = cell.cell_contents
        except ValueError:  # a cell not filled yet
            continue
        _classify(value, found, seen, depth)
