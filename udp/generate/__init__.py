"""`udp generate`: synthetic multi-system raw dumps of a UK retailer, with ground truth for matching and quality.

    generate(out, customers=..., skus=..., days=..., seed=...) -> GenerateReport
    main(argv) -> exit code        (argparse CLI: --out --customers --skus --days --seed [--end-date] [--workers])

Same arguments, same bytes: every random draw comes from `numpy.random.default_rng([seed, source, day, chunk])`.
"""

from __future__ import annotations

from udp.generate.core import GenerateArgumentError, GenerateReport, SourceStats, build_parser, generate, main
from udp.generate.landing import dump_days, land

__all__ = [
    "GenerateArgumentError",
    "GenerateReport",
    "SourceStats",
    "build_parser",
    "dump_days",
    "generate",
    "land",
    "main",
]
