"""Values worked out once per live object, for every session and run that shows it.

A shared result (`ui.jobs.shared_result`) hands every session the same objects, and the gallery's photos are
decoded once; what a page derives from them on every run (a picture's bytes, a photo's digest, the photo fitted
to the network's input) is the same for thirty sessions. `per_object` keeps it for as long as the object lives:
keyed by the object's identity, so it costs no hashing of pixels, and forgotten when the object goes.
"""

from __future__ import annotations

import threading
import weakref

_values: dict[tuple, tuple[weakref.ref, object]] = {}  # (id of object, what) -> (the object, the value)
_lock = threading.Lock()


def per_object(obj, what, compute):
    """`compute()` once for as long as `obj` lives; `what` (hashable) tells one object's values apart.

    `obj` is read only: a value is not worked out again if the object changes in place.
    """
    key = (id(obj), what)
    with _lock:
        kept = _values.get(key)
    if kept is not None and kept[0]() is obj:
        return kept[1]
    value = compute()
    with _lock:
        _values[key] = (weakref.ref(obj), value)
    weakref.finalize(obj, _forget, key)
    return value


def _forget(key: tuple) -> None:
    with _lock:
        _values.pop(key, None)
