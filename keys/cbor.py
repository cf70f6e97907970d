"""The CBOR subset SSA1 needs: a deterministic encoder and a strict decoder.

Hand-written on purpose. Producers must emit RFC 8949 core deterministic
encoding (shortest integers and lengths, map keys sorted by their encoded
bytes). The decoder accepts the well-formed definite-length items SSA1 uses and
refuses what would let two verifiers read one token two ways: duplicate map
keys, trailing bytes, indefinite lengths, map keys other than integers and text
strings, floats and undefined, excessive nesting. The wallet's JavaScript
decoder draws the same line (a differential fuzz test holds them together).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

MAX_DEPTH = 16


class CBORError(ValueError):
    """The bytes are not CBOR this project accepts."""


@dataclass(frozen=True, slots=True)
class Tag:
    """A tagged item, e.g. ``Tag(18, [...])`` for a COSE_Sign1."""

    tag: int
    value: Any


# -- encoding ---------------------------------------------------------------


def _head(major: int, n: int) -> bytes:
    if n < 24:
        return bytes([(major << 5) | n])
    if n < 0x100:
        return bytes([(major << 5) | 24, n])
    if n < 0x10000:
        return bytes([(major << 5) | 25]) + n.to_bytes(2, "big")
    if n < 0x100000000:
        return bytes([(major << 5) | 26]) + n.to_bytes(4, "big")
    if n < 0x10000000000000000:
        return bytes([(major << 5) | 27]) + n.to_bytes(8, "big")
    raise CBORError(f"integer {n} does not fit in 64 bits")


def encode(value: Any) -> bytes:
    """Encode ``value`` in core deterministic CBOR."""
    out = bytearray()
    _encode_into(out, value)
    return bytes(out)


def _encode_into(out: bytearray, value: Any) -> None:
    if value is False:
        out.append(0xF4)
    elif value is True:
        out.append(0xF5)
    elif value is None:
        out.append(0xF6)
    elif isinstance(value, int):
        out += _head(0, value) if value >= 0 else _head(1, -1 - value)
    elif isinstance(value, bytes | bytearray | memoryview):
        b = bytes(value)
        out += _head(2, len(b)) + b
    elif isinstance(value, str):
        b = value.encode("utf-8")
        out += _head(3, len(b)) + b
    elif isinstance(value, list | tuple):
        out += _head(4, len(value))
        for item in value:
            _encode_into(out, item)
    elif isinstance(value, dict):
        items = sorted((encode(k), v) for k, v in value.items())
        out += _head(5, len(items))
        for k, v in items:
            out += k
            _encode_into(out, v)
    elif isinstance(value, Tag):
        out += _head(6, value.tag)
        _encode_into(out, value.value)
    else:
        raise CBORError(f"cannot encode {type(value).__name__} in SSA1 CBOR")


def bstr_head(length: int) -> bytes:
    """The head of a byte string of ``length`` bytes (for building Sig_structure)."""
    return _head(2, length)


# -- decoding ---------------------------------------------------------------


def decode(data: bytes) -> Any:
    """Decode exactly one CBOR item filling all of ``data``."""
    try:
        value, end = _decode_at(data, 0, 0)
    except IndexError:
        raise CBORError("CBOR item truncated") from None
    if end != len(data):
        raise CBORError(f"{len(data) - end} trailing byte(s) after the CBOR item")
    return value


def _decode_at(data: bytes, pos: int, depth: int) -> tuple[Any, int]:
    """Decode the item at ``pos``; an IndexError means the input ended inside it.

    Written flat (one function call per item) because it is on the till's hot path.
    """
    if depth > MAX_DEPTH:
        raise CBORError("CBOR nested too deeply")
    initial = data[pos]
    major, arg = initial >> 5, initial & 0x1F
    pos += 1
    if major == 7:
        return _decode_simple(data, pos, arg)
    if arg >= 24:
        if arg == 24:
            arg, pos = data[pos], pos + 1
        elif arg <= 27:
            size = 1 << (arg - 24)
            if pos + size > len(data):
                raise CBORError("CBOR item truncated")
            arg, pos = int.from_bytes(data[pos : pos + size], "big"), pos + size
        else:
            raise CBORError(f"indefinite or reserved length (additional info {arg}) at {pos - 1}")
    if major == 0:
        return arg, pos
    if major == 2:
        end = pos + arg
        if end > len(data):
            raise CBORError("CBOR string truncated")
        return data[pos:end], end
    if major == 3:
        end = pos + arg
        if end > len(data):
            raise CBORError("CBOR string truncated")
        try:
            return data[pos:end].decode("utf-8"), end
        except UnicodeDecodeError:
            raise CBORError("CBOR text string is not valid UTF-8") from None
    if major == 1:
        return -1 - arg, pos
    if major == 4:
        if arg > len(data) - pos:
            raise CBORError("CBOR array longer than the input")
        items = []
        for _ in range(arg):
            item, pos = _decode_at(data, pos, depth + 1)
            items.append(item)
        return items, pos
    if major == 5:
        if arg > len(data) - pos:
            raise CBORError("CBOR map longer than the input")
        result: dict[Any, Any] = {}
        for _ in range(arg):
            head = data[pos]
            if head < 0x18:  # small unsigned key, SSA1's usual case: no call
                key, pos = head, pos + 1
            elif 0x20 <= head < 0x38:  # small negative key
                key, pos = 0x1F - head, pos + 1
            else:
                key, pos = _decode_at(data, pos, depth + 1)
                if type(key) not in _KEY_TYPES:
                    raise CBORError("CBOR map key is not an integer or a text string")
            if key in result:
                raise CBORError(f"duplicate CBOR map key {key!r}")
            head = data[pos]
            if head < 0x18:
                result[key], pos = head, pos + 1
            else:
                result[key], pos = _decode_at(data, pos, depth + 1)
        return result, pos
    # major 6: tag
    value, pos = _decode_at(data, pos, depth + 1)
    return Tag(arg, value), pos


_KEY_TYPES = (int, str)


def _decode_simple(data: bytes, pos: int, info: int) -> tuple[Any, int]:
    """false, true and null; SSA1 has no floats and no undefined, so they are refused
    (as the wallet's decoder refuses them: two readers must agree)."""
    if info == 20:
        return False, pos
    if info == 21:
        return True, pos
    if info == 22:
        return None, pos
    raise CBORError(f"unsupported CBOR simple value or float (additional info {info})")
