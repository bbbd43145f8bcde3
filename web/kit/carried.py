"""A file's rows carried from an import's preview to its confirm inside the confirm form (the
organisations' and the people's imports: an office's lists, a few thousand rows at most), so
the confirm needs neither the upload again nor a copy kept on the server, and works without
JavaScript on any node. The rows are JSON, compressed, in base64; the confirm reads them back
within the import's limits and checks them whole again, with the database and the
administrator's rights of that moment, before anything is written: the form carries nothing
the administrator could not have put in a file of her own."""

from __future__ import annotations

import base64
import binascii
import json
import zlib
from typing import Any

from workflow.core.errors import UsageError


def carry(rows: list[dict[str, Any]]) -> str:
    """The rows as the confirm form carries them."""
    text = json.dumps([{str(k): "" if v is None else str(v) for k, v in row.items()}
                       for row in rows], ensure_ascii=False, separators=(",", ":"))
    return base64.b64encode(zlib.compress(text.encode(), 9)).decode("ascii")


def carried(value: str, max_rows: int, max_bytes: int) -> list[dict[str, str]]:
    """The rows a confirm form carries back (at most `max_rows`, `max_bytes` once unpacked);
    refused, asking for the file again, when they are not rows this page made."""
    try:
        packed = base64.b64decode(value.encode("ascii"), validate=True)
        unpack = zlib.decompressobj()
        text = unpack.decompress(packed, max_bytes)
        if unpack.unconsumed_tail or not unpack.eof:
            raise ValueError("too large or cut")
        rows = json.loads(text.decode())
    except (ValueError, UnicodeError, binascii.Error, zlib.error):
        rows = None
    if not isinstance(rows, list) or len(rows) > max_rows or not all(
            isinstance(r, dict) and all(isinstance(v, str) for v in r.values()) for r in rows):
        raise UsageError("the preview's rows are unreadable", key="import.carried_bad")
    return rows
