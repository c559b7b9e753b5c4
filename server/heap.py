"""The garbage collector of a serving process: what lives as long as the process does is
taken out of its scans (`gc.freeze`).

Now and then CPython's cyclic collector scans every container object it tracks (a full,
"generation 2" collection). A serving process holds hundreds of thousands that never
die: the modules, the organisation snapshot (its engine, lookups and compiled
templates), uvicorn and Starlette. Under the booking benchmark each full collection
took 24 to 68 ms, on the event loop: in the process that held the write lock, every
booking of every process waited for it (the p99 of the run). `gc.freeze()` moves the
objects alive at that moment into a permanent generation that no collection scans;
what requests create is collected as before.

`settle()` runs when the process starts serving and after each reload of the
organisation file (one full collection, tens of milliseconds, once per version): the
new snapshot is frozen, and the one it replaced, unfrozen first, is freed. Only
`rendezvous serve` does this (`app.create_app(serving=True)`); tests and tools keep
the collector as it is.
"""

from __future__ import annotations

import gc


def settle() -> None:
    """Collect everything, then freeze what survives."""
    gc.unfreeze()
    gc.collect()
    gc.freeze()


__all__ = ["settle"]
