"""Progress shown while the engine works (training, checks): nothing blocks silently."""

from __future__ import annotations


def progress_bar(slot):
    """A progress callback (fraction, text) drawing into ``slot``."""
    bar = slot.progress(0.0, text="Starting…")
    return lambda fraction, text: bar.progress(min(max(fraction, 0.0), 1.0), text=text)
