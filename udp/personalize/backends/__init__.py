"""The two backends behind one client surface: `aws` (boto3) and `local` (offline, udp/personalize/backends/local).

The driver only sees a `Clients` bundle: the `personalize`, `personalize-runtime` and `personalize-events` clients,
the files interface for snapshots and S3, and a sleep function for polling.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from udp.personalize.errors import AwsSetupError
from udp.personalize.storage import Files, S3Files

if TYPE_CHECKING:
    from pyspark.sql import SparkSession

    from udp.settings.personalize import PersonalizeSettings

# Personalize throttles with LimitExceededException, which botocore's default legacy mode never retries; the
# standard mode does, and 10 attempts keep a busy account's failure rate negligible (reference/personalize.md §7).
RETRIES = {"mode": "standard", "max_attempts": 10}
NO_CREDENTIALS = (
    "backend aws found no AWS credentials in the default chain (environment, ~/.aws config or SSO, instance or "
    "job role): configure them, or run with --set personalize.backend=local"
)
NO_REGION = (
    "backend aws has no region: set personalize.region, AWS_DEFAULT_REGION or a profile region, or run with "
    "--set personalize.backend=local"
)


@dataclass
class Clients:
    """What the driver talks to."""

    backend: str
    personalize: Any
    runtime: Any
    events: Any
    files: Files
    region: str
    sleep: Callable[[float], None] = time.sleep


def aws_clients(settings: PersonalizeSettings, session: Any = None) -> Clients:
    """boto3 clients from the standard configuration chain; never a hard-coded endpoint or credential."""
    import boto3
    from botocore.config import Config

    session = session or boto3.session.Session(region_name=settings.region or None)
    if not session.region_name:
        raise AwsSetupError(NO_REGION)
    if session.get_credentials() is None:
        raise AwsSetupError(NO_CREDENTIALS)
    retries = None if _user_retry_settings(session) else dict(RETRIES)
    config = Config(retries=retries, user_agent_extra="udp-personalize")
    return Clients(
        backend="aws",
        personalize=session.client("personalize", config=config),
        runtime=session.client("personalize-runtime", config=config),
        events=session.client("personalize-events", config=config),
        files=S3Files(session.client("s3", config=config)),
        region=str(session.region_name),
    )


def _user_retry_settings(session: Any) -> bool:
    """True when the user configured retries (AWS_RETRY_MODE / AWS_MAX_ATTEMPTS or the profile): theirs win."""
    if os.environ.get("AWS_RETRY_MODE") or os.environ.get("AWS_MAX_ATTEMPTS"):
        return True
    try:
        scoped = session._session.get_scoped_config()  # boto3 exposes the botocore session only as _session
    except Exception:
        return False
    return "retry_mode" in scoped or "max_attempts" in scoped


def local_clients(settings: PersonalizeSettings, spark: Callable[[], SparkSession] | None = None) -> Clients:
    """The offline backend; `spark` is called only when an ALS model trains."""
    from udp.personalize.backends.local.personalize import LocalPersonalize
    from udp.personalize.backends.local.runtime import LocalEvents, LocalRuntime

    personalize = LocalPersonalize(settings.local, spark)
    return Clients(
        backend="local",
        personalize=personalize,
        runtime=LocalRuntime(personalize),
        events=LocalEvents(personalize),
        files=personalize.files,
        region=settings.local.region,
        sleep=lambda seconds: None,
    )


def make_clients(settings: PersonalizeSettings, spark: Callable[[], SparkSession] | None = None) -> Clients:
    if settings.backend == "aws":
        settings.require_aws()
        return aws_clients(settings)
    return local_clients(settings, spark)
