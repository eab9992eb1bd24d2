"""Ladder integrity of library entries (pure: fixtures can be checked without Django)."""

from collections import defaultdict
from collections.abc import Iterable, Mapping
from typing import Any


def ladder_problems(entries: Iterable[Mapping[str, Any]]) -> list[str]:
    """Return human-readable problems with the progression links, each naming a slug.

    Looks for: duplicate slugs, links to a slug that does not exist, an exercise
    that is its own progression, levels that do not rise along a link, two
    exercises sharing one progression target, and cycles.
    """
    problems: list[str] = []
    by_slug: dict[str, Mapping[str, Any]] = {}
    for entry in entries:
        slug = str(entry.get("slug"))
        if slug in by_slug:
            problems.append(f"{slug}: slug appears more than once")
        by_slug[slug] = entry

    claimed_by: dict[str, list[str]] = defaultdict(list)
    for slug, entry in by_slug.items():
        target = entry.get("progression")
        if target is None:
            continue
        if target == slug:
            problems.append(f"{slug}: lists itself as its own progression")
            continue
        claimed_by[target].append(slug)
        if target not in by_slug:
            problems.append(f"{slug}: progression points to missing exercise {target!r}")
            continue
        level, next_level = entry.get("level"), by_slug[target].get("level")
        if not (isinstance(level, int) and isinstance(next_level, int) and next_level > level):
            problems.append(
                f"{slug}: level {level} does not rise along its progression to {target} (level {next_level})"
            )

    for target, sources in sorted(claimed_by.items()):
        if len(sources) > 1:
            problems.append(
                f"{target}: is the progression of more than one exercise ({', '.join(sorted(sources))})"
            )

    reported: set[frozenset[str]] = set()
    for start in by_slug:
        path: list[str] = []
        seen: set[str] = set()
        current: str | None = start
        while current in by_slug and current not in seen:
            seen.add(current)
            path.append(current)
            nxt = by_slug[current].get("progression")
            current = None if nxt == current else nxt  # self-links are reported above
        if current in seen:
            loop = path[path.index(current) :]
            key = frozenset(loop)
            if key not in reported:
                reported.add(key)
                problems.append(f"{current}: progression cycle {' -> '.join([*loop, current])}")
    return problems
