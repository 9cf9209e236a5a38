"""Keep freed memory in the process heap (glibc), for full-graph training on big graphs.

Edge tensors of a multi-million-edge graph are hundreds of MB each. glibc serves such
blocks with mmap and returns them to the OS on free, so every epoch page-faults gigabytes
afresh (seen as system time: a 5M-edge SAGE epoch took 9 s instead of 4.8 s). Disabling
mmap for large blocks and raising the trim threshold lets freed blocks be reused.
Process-wide and harmless elsewhere; a no-op where glibc is absent.
"""

from __future__ import annotations

import ctypes
import ctypes.util

_M_TRIM_THRESHOLD = -1
_M_MMAP_MAX = -4
_done = False


def keep_freed_memory() -> bool:
    """Apply once; returns whether glibc accepted the settings."""
    global _done
    if _done:
        return True
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        ok = bool(libc.mallopt(_M_MMAP_MAX, 0)) and bool(libc.mallopt(_M_TRIM_THRESHOLD, 1 << 30))
    except (OSError, AttributeError):
        return False
    _done = ok
    return ok
