"""A batch inference job's input: the user's own file, or one JSON line per user (or item) of the snapshot.

The default input asks for every user of the snapshot's Users dataset (for related-items recipes every item of the
Items dataset; without that dataset, the distinct ids of Interactions), at most `deploy.max_batch_queries`.
"""

from __future__ import annotations

import json
from collections.abc import Callable

from udp.personalize.snapshot import ExportDataset, Snapshot, SnapshotError, read_csv
from udp.personalize.storage import Files
from udp.settings.personalize import SolutionSettings


def batch_queries(
    files: Files, snapshot: Snapshot, sol: SolutionSettings, uri: str, *, say: Callable[[str], None] | None = None
) -> int | None:
    """The queries of a batch job: the lines of the user's input file (None if unreadable), or the default input's,
    which is written to `uri` when `say` is given (apply; plan only counts)."""
    if sol.deploy.batch_input:
        return len(files.read_bytes(uri).splitlines()) if files.exists(uri) else None
    field_name = "itemId" if sol.recipe_info.batch_query == "itemId" else "userId"
    column = "ITEM_ID" if field_name == "itemId" else "USER_ID"
    dataset = snapshot.datasets.get("items" if column == "ITEM_ID" else "users") or snapshot.datasets["interactions"]
    ids = distinct_column(files, dataset, column, sol.deploy.max_batch_queries)
    if say is not None:
        files.write_bytes(uri, "".join(json.dumps({field_name: i}) + "\n" for i in ids).encode("utf-8"))
        say(f"  wrote   batch input {uri}: {len(ids):,} {field_name} lines from the {dataset.name} dataset")
    return len(ids)


def distinct_column(files: Files, dataset: ExportDataset, column: str, limit: int) -> list[str]:
    """Distinct values of `column` in the dataset's CSV files, in file order, stopping at `limit` (0 = all)."""
    names = [f.name for f in dataset.fields]
    if column not in names:
        raise SnapshotError(f"the {dataset.name} dataset has no {column} column for the batch input")
    position = names.index(column)
    seen: dict[str, None] = {}
    for f in dataset.files:
        for line, values in read_csv(files.read_bytes(f.uri).decode("utf-8")):
            if line == 1 or len(values) <= position or not values[position]:
                continue
            seen.setdefault(values[position], None)
            if limit and len(seen) >= limit:
                return list(seen)
    return list(seen)
