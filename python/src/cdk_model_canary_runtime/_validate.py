"""Input checks, written to accept and reject exactly what the TypeScript helper does.

JavaScript semantics are copied on purpose where Python's differ: ``String.prototype.trim`` strips
another set of characters than ``str.strip``, string lengths count UTF-16 code units, and a number is
an integer when ``Number.isSafeInteger`` says so (``3.0`` is one, ``True`` is not).
"""

import json
import math
from typing import Any, Optional, Union

# String.prototype.trim: WhiteSpace (incl. every Unicode Zs) and LineTerminator code points.
# https://tc39.es/ecma262/#sec-string.prototype.trim
_JS_WHITESPACE = (
    "\u0009\u000a\u000b\u000c\u000d\u0020\u00a0\u1680\u2000\u2001\u2002\u2003\u2004\u2005"
    "\u2006\u2007\u2008\u2009\u200a\u2028\u2029\u202f\u205f\u3000\ufeff"
)
_MAX_SAFE_INTEGER = 2**53 - 1


def js_trim(text: str) -> str:
    return text.strip(_JS_WHITESPACE)


def utf16_length(text: str) -> int:
    """``text.length`` in JavaScript."""
    return len(text.encode("utf-16-le", "surrogatepass")) // 2


def describe(value: Any) -> str:
    if isinstance(value, str):
        return json.dumps(value if len(value) <= 40 else value[:40] + "\u2026", ensure_ascii=False)
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None or isinstance(value, (int, float)):
        return repr(value)
    return type(value).__name__


def milliseconds(field: str, value: Any) -> Optional[Union[int, float]]:
    """A non-negative finite number (fractions allowed), or None when not given."""
    if value is None:
        return None
    ok = not isinstance(value, bool) and isinstance(value, (int, float)) and math.isfinite(value)
    if not ok or value < 0:
        raise ValueError(f"ModelSignals.record: {field} must be a non-negative number of milliseconds, got {describe(value)}")
    return value


def count(field: str, value: Any) -> Optional[int]:
    """A non-negative safe integer, or None when not given."""
    if value is None:
        return None
    ok = not isinstance(value, bool) and (
        isinstance(value, int) or (isinstance(value, float) and math.isfinite(value) and value.is_integer())
    )
    if not ok or value < 0 or value > _MAX_SAFE_INTEGER:
        raise ValueError(f"ModelSignals.record: {field} must be a non-negative integer, got {describe(value)}")
    return int(value)


def flag(field: str, value: Any) -> Optional[bool]:
    if value is None:
        return None
    if not isinstance(value, bool):
        raise TypeError(f"ModelSignals.record: {field} must be True or False, got {describe(value)}")
    return value


def length(field: str, value: Union[int, str, None]) -> Optional[int]:
    """A count, or the length of a text in Unicode code points (as the TypeScript helper counts it)."""
    if isinstance(value, str):
        return len(value)
    return count(field, value)


def class_name(field: str, value: Any, max_length: int) -> Optional[str]:
    if value is None:
        return None
    if not isinstance(value, str):
        raise TypeError(f"ModelSignals.record: {field} must be a string, got {describe(value)}")
    trimmed = js_trim(value)
    n = utf16_length(trimmed)
    if n == 0 or n > max_length:
        raise ValueError(f"ModelSignals.record: {field} must be 1 to {max_length} characters after trimming, got {n}")
    return trimmed


def non_blank(field: str, value: Any, max_length: int) -> str:
    if not isinstance(value, str) or js_trim(value) == "" or utf16_length(value) > max_length:
        raise ValueError(
            f"ModelSignals: {field} must be a non-blank string of at most {max_length} characters, got {describe(value)}"
        )
    return value
