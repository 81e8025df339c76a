"""The one module that reads and writes Delta tables. Transforms know nothing about storage.

Tables are named `<layer>.<table>` (layers: bronze, silver, gold) and live at `<paths.lake>/<layer>/<table>` — a local
folder or an s3:// / s3a:// URI. The path is the source of truth; the catalog entry (`register`) points at it, so a
table can always be re-registered from its location. Every write here is idempotent when used as documented:
`merge` on business keys, `replace_where` for a slice, `append` only for data that carries its own exactly-once
guard (bronze's ingest log).
"""

from __future__ import annotations

import posixpath
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from udp import tables
from udp.config import LAYERS
from udp.errors import InputPathError, UdpError

if TYPE_CHECKING:
    from delta.tables import DeltaTable
    from pyspark.sql import DataFrame, SparkSession

    from udp.config import Config


class LakeError(UdpError):
    """A table is missing or a write would break its contract."""


def split_table(table: str) -> tuple[str, str]:
    """`'bronze.crm'` -> `('bronze', 'crm')`, with a clear error for anything else."""
    layer, sep, name = table.partition(".")
    if not sep or layer not in LAYERS or not name or "." in name or "/" in name:
        raise LakeError(f"table name {table!r} must be <layer>.<table> with layer one of {', '.join(LAYERS)}")
    return layer, name


def is_uri(path: str) -> bool:
    return "://" in path


def lake_root(root: str) -> str:
    """The lake's root as tables are placed under it: a URI without its trailing slash, or an absolute local path."""
    return root.rstrip("/") if is_uri(root) else str(Path(root).expanduser().resolve())


def table_path(root: str, table: str) -> str:
    """Storage location of `table` under the lake `root` (as `lake_root` gives it): `<root>/<layer>/<name>`."""
    layer, name = split_table(table)
    return posixpath.join(root, layer, name) if is_uri(root) else str(Path(root, layer, name))


class Lake:
    """Delta I/O for one lake root. Build one per run: `Lake(spark, config)`."""

    def __init__(self, spark: SparkSession, config: Config) -> None:
        self.spark = spark
        self.config = config
        self.root = lake_root(config.paths.lake)

    # ---------------------------------------------------------------------------------------------------------------
    # Names and locations
    # ---------------------------------------------------------------------------------------------------------------

    def path(self, table: str) -> str:
        """Storage location of `table`: `<lake>/<layer>/<name>`."""
        return table_path(self.root, table)

    def database(self, layer: str) -> str:
        return f"{self.config.catalog.database_prefix}{layer}"

    def qualified_name(self, table: str) -> str:
        """Catalog name of `table`, quoted for SQL: `` `bronze`.`crm` ``."""
        layer, name = split_table(table)
        return f"`{self.database(layer)}`.`{name}`"

    def exists(self, table: str) -> bool:
        """True when a Delta table exists at the table's location."""
        from delta.tables import DeltaTable

        return bool(DeltaTable.isDeltaTable(self.spark, self.path(table)))

    def delta_table(self, table: str) -> DeltaTable:
        from delta.tables import DeltaTable

        self._require(table)
        return DeltaTable.forPath(self.spark, self.path(table))

    def _require(self, table: str) -> None:
        if not self.exists(table):
            raise LakeError(f"table {table} does not exist at {self.path(table)} (run the stage that builds it first)")

    # ---------------------------------------------------------------------------------------------------------------
    # Reads
    # ---------------------------------------------------------------------------------------------------------------

    def read(self, table: str, version: int | None = None) -> DataFrame:
        """The table as a DataFrame (optionally as of a version)."""
        self._require(table)
        reader = self.spark.read.format("delta")
        if version is not None:
            reader = reader.option("versionAsOf", version)
        return reader.load(self.path(table))

    def version(self, table: str) -> int:
        """The table's latest commit version, or -1 when it does not exist."""
        if not self.exists(table):
            return -1
        return self.last_commit(table)[0]

    def last_commit(self, table: str) -> tuple[int, dict[str, str]]:
        """The latest commit's version and `operationMetrics` (one read of the log)."""
        row = self.delta_table(table).history(1).select("version", "operationMetrics").first()
        return (int(row["version"]), dict(row["operationMetrics"] or {})) if row else (-1, {})

    def rows_written_since(self, table: str, before: int) -> int:
        """Rows written by the commit after version `before` (0 when nothing was committed), from Delta's own
        operation metrics."""
        version, metrics = self.last_commit(table)
        return 0 if version == before else int(metrics.get("numOutputRows", -1))

    def last_operation_metrics(self, table: str) -> dict[str, str]:
        """`operationMetrics` of the latest commit (e.g. numOutputRows, numTargetRowsInserted)."""
        return self.last_commit(table)[1]

    # ---------------------------------------------------------------------------------------------------------------
    # Writes
    # ---------------------------------------------------------------------------------------------------------------

    def append(
        self,
        df: DataFrame,
        table: str,
        *,
        partition_by: Sequence[str] = (),
        merge_schema: bool = False,
        properties: Mapping[str, str] | None = None,
    ) -> None:
        """Append rows; creates the table on first write. Only for data with its own exactly-once guard."""
        self._write(df, table, "append", partition_by=partition_by, merge_schema=merge_schema, properties=properties)

    def overwrite(
        self,
        df: DataFrame,
        table: str,
        *,
        partition_by: Sequence[str] = (),
        overwrite_schema: bool = False,
        properties: Mapping[str, str] | None = None,
    ) -> None:
        """Replace the whole table's content (a new version; history and time travel are kept)."""
        options = {"overwriteSchema": "true"} if overwrite_schema else {}
        self._write(df, table, "overwrite", partition_by=partition_by, options=options, properties=properties)

    def replace_where(
        self,
        df: DataFrame,
        table: str,
        predicate: str,
        *,
        partition_by: Sequence[str] = (),
        merge_schema: bool = False,
        properties: Mapping[str, str] | None = None,
    ) -> None:
        """Atomically replace the rows matching `predicate` with `df` (every row of `df` must match it).

        Re-running with the same input leaves the table as it was: this is the idempotent write for a slice
        (a date partition, the rows of one raw file).
        """
        if not self.exists(table):
            self._write(df, table, "overwrite", partition_by=partition_by, properties=properties)
            return
        options = {"replaceWhere": predicate}
        self._write(df, table, "overwrite", partition_by=partition_by, options=options, merge_schema=merge_schema)

    def merge(
        self,
        df: DataFrame,
        table: str,
        keys: Sequence[str] | None = None,
        *,
        update: bool = True,
        delete_missing: str | None = None,
        partition_by: Sequence[str] = (),
        properties: Mapping[str, str] | None = None,
    ) -> None:
        """Upsert `df` into `table` on `keys`: insert new keys, update rows whose values changed.

        Unchanged rows are not rewritten, so a re-run on the same input changes nothing. `delete_missing` — a SQL
        predicate on the target, e.g. `"t.run_scope = 'x'"` or `"true"` — deletes target rows that match it and
        have no source row (for tables that mirror a full recomputation). The source must be unique on `keys`: by
        default the table's business key in the catalogue (udp/tables.py).
        """
        keys = tables.keys(table) if keys is None else keys
        if not keys:
            raise LakeError(f"merge into {table}: at least one key column is required")
        missing = [k for k in keys if k not in df.columns]
        if missing:
            raise LakeError(f"merge into {table}: key column(s) {', '.join(missing)} not in the source frame")
        if not self.exists(table):
            self._write(df, table, "overwrite", partition_by=partition_by, properties=properties)
            return
        target = self.delta_table(table)
        on = " AND ".join(f"t.`{k}` <=> s.`{k}`" for k in keys)
        builder = target.alias("t").merge(df.alias("s"), on)
        values = [c for c in df.columns if c not in keys]
        if update and values:
            changed = " OR ".join(f"NOT (t.`{c}` <=> s.`{c}`)" for c in values)
            builder = builder.whenMatchedUpdate(condition=changed, set={f"`{c}`": f"s.`{c}`" for c in values})
        builder = builder.whenNotMatchedInsert(values={f"`{c}`": f"s.`{c}`" for c in df.columns})
        if delete_missing is not None:
            builder = builder.whenNotMatchedBySourceDelete(condition=delete_missing)
        builder.execute()

    def delete(self, table: str, predicate: str) -> None:
        """Delete the rows matching a SQL predicate."""
        self.delta_table(table).delete(predicate)

    def _write(
        self,
        df: DataFrame,
        table: str,
        mode: str,
        *,
        partition_by: Sequence[str] = (),
        options: Mapping[str, str] | None = None,
        merge_schema: bool = False,
        properties: Mapping[str, str] | None = None,
    ) -> None:
        writer = df.write.format("delta").mode(mode)
        if partition_by:
            writer = writer.partitionBy(*partition_by)
        if merge_schema:
            writer = writer.option("mergeSchema", "true")
        for key, value in (options or {}).items():
            writer = writer.option(key, value)
        creating = not self.exists(table)
        writer.save(self.path(table))
        if creating and properties:
            self.set_properties(table, properties)

    # ---------------------------------------------------------------------------------------------------------------
    # Maintenance
    # ---------------------------------------------------------------------------------------------------------------

    def set_properties(self, table: str, properties: Mapping[str, str]) -> None:
        """`ALTER TABLE … SET TBLPROPERTIES` on the table's location."""
        props = ", ".join(f"'{k}' = '{sql_str(v)}'" for k, v in properties.items())
        self.spark.sql(f"ALTER TABLE delta.`{self.path(table)}` SET TBLPROPERTIES ({props})")

    def optimize(self, table: str, *, where: str | None = None, zorder_by: Sequence[str] = ()) -> dict[str, Any]:
        """Compact small files (bin-packing), optionally Z-ordered; returns Delta's OPTIMIZE metrics."""
        builder = self.delta_table(table).optimize()
        if where:
            builder = builder.where(where)
        result = builder.executeZOrderBy(*zorder_by) if zorder_by else builder.executeCompaction()
        row = result.select("metrics").first()
        return row["metrics"].asDict(recursive=True) if row else {}

    def detail(self, table: str) -> dict[str, Any]:
        """`DESCRIBE DETAIL`: format, location, partitionColumns, numFiles, sizeInBytes, properties, protocol."""
        self._require(table)
        row = self.spark.sql(f"DESCRIBE DETAIL delta.`{self.path(table)}`").first()
        return row.asDict(recursive=True) if row else {}

    def document(self, table: str, comment: str, columns: Mapping[str, str]) -> int:
        """Set the table comment and column comments stored in the Delta log (shown by the catalog, DESCRIBE and
        Athena); only those that differ are altered, so documenting an unchanged table commits nothing. Returns the
        number of changes."""
        self._require(table)
        target = f"delta.`{self.path(table)}`"
        changes = 0
        if (self.detail(table).get("description") or "") != comment:
            self.spark.sql(f"ALTER TABLE {target} SET TBLPROPERTIES ('comment' = '{sql_str(comment)}')")
            changes += 1
        current = {f.name: f.metadata.get("comment", "") for f in self.read(table).schema.fields}
        for column, text in columns.items():
            if column in current and current[column] != text:
                self.spark.sql(f"ALTER TABLE {target} ALTER COLUMN `{column}` COMMENT '{sql_str(text)}'")
                changes += 1
        return changes

    def vacuum(self, table: str, retention_hours: int | None = None) -> None:
        """Delete files no longer referenced and older than the retention (default from config: 7 days)."""
        hours = self.config.lake.vacuum_retention_hours if retention_hours is None else retention_hours
        self.delta_table(table).vacuum(float(hours))

    # ---------------------------------------------------------------------------------------------------------------
    # Catalog
    # ---------------------------------------------------------------------------------------------------------------

    def register(self, table: str, comment: str | None = None) -> None:
        """Register `table` in the catalog as `<layer>.<name>` pointing at its location (idempotent).

        An entry that points elsewhere (a lake moved, a test's temporary lake) is replaced; dropping an external
        Delta table's entry never deletes its data.
        """
        if not self.config.catalog.enabled:
            return
        self._require(table)
        layer, _ = split_table(table)
        name = self.qualified_name(table)
        location = self.path(table)
        self.spark.sql(f"CREATE DATABASE IF NOT EXISTS `{self.database(layer)}`")
        current = self._catalog_location(name)
        if current is not None and _same_location(current, location):
            pass
        else:
            if current is not None:
                self.spark.sql(f"DROP TABLE IF EXISTS {name}")
            self.spark.sql(f"CREATE TABLE IF NOT EXISTS {name} USING DELTA LOCATION '{sql_str(location)}'")
        if comment is not None:
            self.spark.sql(f"COMMENT ON TABLE {name} IS '{sql_str(comment)}'")

    def _catalog_location(self, name: str) -> str | None:
        layer_db, _, table_name = name.replace("`", "").partition(".")
        if not self.spark.catalog.databaseExists(layer_db):
            return None
        if not self.spark.catalog.tableExists(f"{layer_db}.{table_name}"):
            return None
        rows = self.spark.sql(f"DESCRIBE TABLE EXTENDED {name}").collect()
        for r in rows:
            if r["col_name"] == "Location":
                return str(r["data_type"])
        return ""


def require_input_dir(path: str, what: str) -> None:
    """A clear one-line error when a local input folder is missing (URIs are checked by the reader)."""
    if not is_uri(path) and not Path(path).expanduser().exists():
        raise InputPathError(f"{what} not found: {path}")


def _same_location(a: str, b: str) -> bool:
    def norm(p: str) -> str:
        p = p.removeprefix("file:")
        while p.startswith("//"):
            p = p[1:]
        return p.rstrip("/")

    return norm(a) == norm(b)


def sql_str(value: str) -> str:
    """`value` escaped for a single-quoted Spark SQL string literal (without the quotes)."""
    return value.replace("\\", "\\\\").replace("'", "\\'")


def table_location(config: Config, table: str) -> str:
    """Where `table` lives under `config`'s lake, without a Spark session (`Lake.path`'s rule)."""
    return table_path(lake_root(config.paths.lake), table)
