"""Errors of the Personalize step. Each message is one sentence a user can act on; the CLI prints it, no traceback."""

from __future__ import annotations

from udp.errors import UdpError


class PersonalizeError(UdpError):
    """A Personalize resource or call cannot go ahead as configured."""


class AwsSetupError(PersonalizeError):
    """backend: aws without credentials or a region."""


class ResourceFailedError(PersonalizeError):
    """A resource ended in CREATE FAILED: the message names it, gives Personalize's failureReason and the fix."""

    exit_code = 1


class DefinitionMismatchError(PersonalizeError):
    """An existing immutable resource (schema, solution, filter) differs from the configuration."""


class QuotaError(PersonalizeError):
    """LimitExceededException or throttling that outlasted the configured retries."""

    exit_code = 1


class WaitTimeoutError(PersonalizeError):
    """A resource did not reach a final state within personalize.poll.timeout_minutes."""

    exit_code = 1


class TeardownIncompleteError(PersonalizeError):
    """Teardown finished but resources udp created are still there (in use, or a delete was refused)."""

    exit_code = 1
