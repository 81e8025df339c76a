"""The Spark MLlib ALS fit (implicit preferences) behind the ALS model, memoised per process: the only Spark in the
local models.
"""

from __future__ import annotations

import hashlib
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from pyspark.sql import SparkSession

    from udp.settings.personalize import LocalSettings

_FITS: dict[str, tuple[np.ndarray, np.ndarray]] = {}


def clear_fit_cache() -> None:
    """Forget memoised ALS fits (benchmarks time every fit)."""
    _FITS.clear()


def fit_als(
    spark: SparkSession,
    users: np.ndarray,
    items: np.ndarray,
    ratings: np.ndarray,
    *,
    n_users: int,
    n_items: int,
    settings: LocalSettings,
) -> tuple[np.ndarray, np.ndarray]:
    """Spark MLlib ALS (implicit preferences) on (user, item, count) triples; factors as dense arrays.

    Fits are memoised per process on (data, settings): user personalization and personalized ranking of one
    dataset group train the same factorisation, and ALS with a fixed seed is deterministic.
    """
    key = hashlib.sha256(
        b"".join(np.ascontiguousarray(a).tobytes() for a in (users, items, ratings))
        + repr((n_users, n_items, settings.als, settings.seed)).encode()
    ).hexdigest()
    if key in _FITS:
        uf, itf = _FITS[key]
        return uf.copy(), itf.copy()
    from pyspark.ml.recommendation import ALS
    from pyspark.sql import types as T

    schema = T.StructType(
        [
            T.StructField("user", T.IntegerType(), False),
            T.StructField("item", T.IntegerType(), False),
            T.StructField("rating", T.FloatType(), False),
        ]
    )
    rows = list(zip(users.tolist(), items.tolist(), ratings.tolist(), strict=True))
    frame = spark.createDataFrame(rows, schema)
    blocks = max(1, min(4, spark.sparkContext.defaultParallelism))
    als = ALS(
        rank=settings.als.rank,
        maxIter=settings.als.max_iter,
        regParam=settings.als.reg_param,
        alpha=settings.als.alpha,
        implicitPrefs=True,
        userCol="user",
        itemCol="item",
        ratingCol="rating",
        seed=settings.seed,
        numUserBlocks=blocks,
        numItemBlocks=blocks,
    )
    fitted = als.fit(frame)
    user_factors = np.zeros((n_users, settings.als.rank), dtype=np.float64)
    item_factors = np.zeros((n_items, settings.als.rank), dtype=np.float64)
    for row in fitted.userFactors.collect():
        user_factors[row["id"]] = row["features"]
    for row in fitted.itemFactors.collect():
        item_factors[row["id"]] = row["features"]
    if len(_FITS) >= 8:
        _FITS.clear()
    _FITS[key] = (user_factors.copy(), item_factors.copy())
    return user_factors, item_factors
