"""Small helpers over iterables."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from itertools import islice
from typing import Any


def batched(items: Iterable[Any], size: int) -> Iterator[list[Any]]:
    """The items in lists of `size` (the last one shorter)."""
    iterator = iter(items)
    while batch := list(islice(iterator, size)):
        yield batch
