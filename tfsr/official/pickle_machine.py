"""A pickle interpreter that can build nothing but plain data and the objects it is told to allow.

`pickle.Unpickler` trusts its input in ways that a restricted `find_class` does not cover: BUILD sets the
attributes of any object on the stack (or calls its `__setstate__`), SETITEM calls `__setitem__` on any object,
APPEND calls `append`, and NEWOBJ/EXT/INST reach classes by other paths. This module does not subclass it.
It reads the opcodes with `pickletools.genops` (the standard library's own parser, which runs nothing) and
carries out each one itself, with a closed list of opcodes:

- plain values: None, booleans, integers, floats, strings, bytes, tuples, lists, dicts;
- the memo (PUT/GET/MEMOIZE) and the stack (MARK, POP, DUP);
- GLOBAL and STACK_GLOBAL, which only return what the caller's `find_global` returns;
- REDUCE, only on a callable that `find_global` returned and that the caller lists as callable;
- BUILD, only where the caller's `build` allows it (a PyTorch `state_dict` needs it for `_metadata`);
- BINPERSID, handed to the caller's `persistent_load`.

SETITEM(S) writes only into a `dict` or `OrderedDict` the pickle itself made, APPEND(S) only into a `list`.
Every other opcode (INST, OBJ, NEWOBJ, EXT, sets, out-of-band buffers, text persistent ids) is refused.
Nothing in the file can change an object after it is made, except those containers while they are filled.
"""

from __future__ import annotations

import collections
import pickletools
from typing import IO, Any, Callable

_MARK = object()  # a stack marker no pickle value can equal

# Opcodes that push one plain value that genops has already decoded.
_VALUE_OPCODES = frozenset({
    "INT", "BININT", "BININT1", "BININT2", "LONG", "LONG1", "LONG4", "BINFLOAT", "FLOAT",
    "UNICODE", "SHORT_BINUNICODE", "BINUNICODE", "BINUNICODE8", "STRING", "BINSTRING", "SHORT_BINSTRING",
    "BINBYTES", "SHORT_BINBYTES", "BINBYTES8",
})
_CONSTANTS = {"NONE": None, "NEWTRUE": True, "NEWFALSE": False}
_FILLABLE_MAPPINGS = (dict, collections.OrderedDict)


class RefusedPickle(Exception):
    """The pickle uses an opcode or an object in a way a weights file never needs."""


class ShortRead:
    """A file view whose `read(n)` never asks for more than is left, so a crafted length allocates nothing.

    Args:
        file: a binary file positioned at the pickle.
        size: the number of bytes left in it.
    """

    def __init__(self, file: IO[bytes], size: int) -> None:
        self._file = file
        self._end = file.tell() + size

    def read(self, n: int = -1) -> bytes:
        left = max(0, self._end - self._file.tell())
        return self._file.read(left if n < 0 else min(n, left))

    def readline(self) -> bytes:
        return self._file.readline(max(0, self._end - self._file.tell()))

    def tell(self) -> int:
        return self._file.tell()


def run_pickle(
    file: IO[bytes] | ShortRead,
    find_global: Callable[[str, str], Any],
    callables: tuple[Any, ...] = (),
    persistent_load: Callable[[Any], Any] | None = None,
    build: Callable[[Any, Any], None] | None = None,
) -> Any:
    """Interprets one pickle from `file`, stopping right after its STOP opcode.

    Args:
        file: the stream; it is left positioned after the pickle.
        find_global: returns the object for a (module, name) global, or raises to refuse it.
        callables: the objects REDUCE may call (compared by identity); anything else is refused.
        persistent_load: resolves BINPERSID records; without it they are refused.
        build: applies BUILD's state to an object, raising to refuse; without it BUILD is refused.

    Returns:
        The unpickled object.

    Raises:
        RefusedPickle: an opcode or an operation outside the allowed set.
        ValueError, TypeError, KeyError, IndexError, EOFError: the stream is damaged (genops or the stack).

    Example:
        >>> import io, pickle
        >>> run_pickle(io.BytesIO(pickle.dumps({"a": [1, 2.5]}, protocol=2)), find_global=None)
        {'a': [1, 2.5]}
    """
    stack: list[Any] = []
    memo: dict[int, Any] = {}

    def pop_mark() -> list[Any]:
        for index in range(len(stack) - 1, -1, -1):
            if stack[index] is _MARK:
                items = stack[index + 1 :]
                del stack[index:]
                return items
        raise ValueError("a pickle opcode needs a MARK that is not on the stack")

    def top() -> Any:
        if not stack or stack[-1] is _MARK:
            raise IndexError("a pickle opcode needs a value on an empty stack")
        return stack[-1]

    def pop() -> Any:
        value = top()
        stack.pop()
        return value

    def fill_mapping(target: Any, items: list[Any]) -> None:
        if type(target) not in _FILLABLE_MAPPINGS:
            raise RefusedPickle(f"SETITEM into a {type(target).__name__}, not a dict")
        if len(items) % 2:
            raise ValueError("SETITEMS with an odd number of values")
        for key, value in zip(items[::2], items[1::2]):
            target[key] = value

    for opcode, arg, _pos in pickletools.genops(file):
        name = opcode.name
        if name in _VALUE_OPCODES:
            stack.append(arg)
        elif name in _CONSTANTS:
            stack.append(_CONSTANTS[name])
        elif name in ("PROTO", "FRAME"):
            continue
        elif name == "STOP":
            result = pop()
            if stack:
                raise ValueError("values left on the stack after STOP")
            return result
        elif name == "MARK":
            stack.append(_MARK)
        elif name == "POP":
            pop()
        elif name == "POP_MARK":
            pop_mark()
        elif name == "DUP":
            stack.append(top())
        elif name in ("PUT", "BINPUT", "LONG_BINPUT"):
            memo[arg] = top()
        elif name == "MEMOIZE":
            memo[len(memo)] = top()
        elif name in ("GET", "BINGET", "LONG_BINGET"):
            stack.append(memo[arg])
        elif name == "EMPTY_TUPLE":
            stack.append(())
        elif name in ("TUPLE1", "TUPLE2", "TUPLE3"):
            count = int(name[-1])
            if len(stack) < count or any(v is _MARK for v in stack[-count:]):
                raise IndexError(f"{name} needs {count} values")
            values = tuple(stack[-count:])
            del stack[-count:]
            stack.append(values)
        elif name == "TUPLE":
            stack.append(tuple(pop_mark()))
        elif name == "EMPTY_LIST":
            stack.append([])
        elif name == "LIST":
            stack.append(pop_mark())
        elif name in ("APPEND", "APPENDS"):
            items = [pop()] if name == "APPEND" else pop_mark()
            target = top()
            if type(target) is not list:
                raise RefusedPickle(f"APPEND to a {type(target).__name__}, not a list")
            target.extend(items)
        elif name == "EMPTY_DICT":
            stack.append({})
        elif name == "DICT":
            mapping: dict[Any, Any] = {}
            fill_mapping(mapping, pop_mark())
            stack.append(mapping)
        elif name in ("SETITEM", "SETITEMS"):
            if name == "SETITEM":
                value = pop()
                items = [pop(), value]
            else:
                items = pop_mark()
            fill_mapping(top(), items)
        elif name in ("GLOBAL", "INST"):
            module, _, attribute = arg.partition(" ")
            found = find_global(module, attribute)
            if name == "INST":  # the global was allowed, but a weights file never builds objects this way
                raise RefusedPickle("opcode INST is not used by weight files")
            stack.append(found)
        elif name == "STACK_GLOBAL":
            attribute, module = pop(), pop()
            if not (isinstance(module, str) and isinstance(attribute, str)):
                raise ValueError("STACK_GLOBAL needs two strings")
            stack.append(find_global(module, attribute))
        elif name == "REDUCE":
            args, func = pop(), pop()
            if not any(func is allowed for allowed in callables):
                raise RefusedPickle(f"REDUCE calls {type(func).__name__} {func!r:.60}, which is not allowed")
            if type(args) is not tuple:
                raise ValueError("REDUCE arguments are not a tuple")
            stack.append(func(*args))
        elif name == "BUILD":
            state = pop()
            if build is None:
                raise RefusedPickle("opcode BUILD is not allowed here")
            build(top(), state)
        elif name == "BINPERSID":
            if persistent_load is None:
                raise RefusedPickle("persistent ids are not allowed here")
            stack.append(persistent_load(pop()))
        else:
            raise RefusedPickle(f"opcode {name} is not used by weight files")
    raise EOFError("the pickle ends before its STOP opcode")
