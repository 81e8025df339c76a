"""The local `personalize` client: the control-plane calls udp's driver makes, answered offline.

Resources live in a `StateStore` folder, so `status` and a resumed `apply` in another process see them. A resource
moves through Personalize's lifecycle one step per `describe_*` call — CREATE PENDING, CREATE IN_PROGRESS, then ACTIVE
or CREATE FAILED (batch inference jobs: PENDING, IN PROGRESS, ACTIVE) — and the work (an import, a training, a batch
job) runs at the step that leaves IN_PROGRESS. Deletes go DELETE PENDING, DELETE IN_PROGRESS, then the resource is
gone (ResourceNotFoundException). Names, dependencies, quotas and errors follow the service: a duplicate name is
ResourceAlreadyExistsException, a missing parent ResourceNotFoundException, a busy one ResourceInUseException, a quota
LimitExceededException.
"""

from __future__ import annotations

from udp.personalize.backends.local.api_data import DataApi
from udp.personalize.backends.local.api_deploy import DeployApi
from udp.personalize.backends.local.api_training import TrainingApi


class LocalPersonalize(DataApi, TrainingApi, DeployApi):
    """`boto3.client("personalize")`, offline. `spark` is called only when an ALS model trains.

    State, helpers and the lifecycle: udp/personalize/backends/local/lifecycle.py; the operations by family of
    resources: api_data.py, api_training.py, api_deploy.py.
    """
