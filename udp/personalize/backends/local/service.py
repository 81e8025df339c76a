"""A client-shaped local service: every request checked against botocore's own service model.

`LocalService` is what `boto3.client(<service>)` is to the driver: snake_case methods taking keyword arguments only,
`client.exceptions.<Error>` classes (botocore `ClientError` subclasses built by botocore's own error factory), and
responses shaped like the service's output shapes. Every request goes through
`botocore.validate.validate_parameters` (raising botocore's `ParamValidationError`, as a real client does), then
through the model's constraints botocore does not check — maximum lengths, regular-expression patterns and enum
values — which the real service answers with an `InvalidInputException` naming the member and the constraint.
"""

from __future__ import annotations

import datetime as dt
import functools
import re
import uuid
from collections.abc import Callable, Mapping
from types import SimpleNamespace
from typing import Any, ClassVar

import botocore.session
from botocore import xform_name
from botocore.errorfactory import ClientExceptionsFactory
from botocore.exceptions import ClientError
from botocore.model import OperationModel, ServiceModel, Shape
from botocore.validate import validate_parameters


@functools.cache
def service_model(name: str) -> ServiceModel:
    """botocore's bundled model of an AWS service (cached: loading one takes tens of milliseconds)."""
    return botocore.session.get_session().get_service_model(name)


@functools.cache
def _exceptions(name: str) -> Any:
    return ClientExceptionsFactory().create_client_exceptions(service_model(name))


@functools.cache
def _pattern(java_regex: str) -> re.Pattern[str] | None:
    """The model's (Java) pattern in Python syntax; the Unicode classes become their nearest Python class."""
    translated = (
        java_regex.replace(r"\p{ASCII}", r"[\x00-\x7F]")
        .replace(r"\p{L}", r"\w")
        .replace(r"\p{N}", r"\d")
        .replace(r"\p{Z}", r"\s")
    )
    try:
        return re.compile(translated)
    except re.error:  # pragma: no cover - every pattern of the three Personalize models compiles
        return None


def constraint_violations(value: Any, shape: Shape, path: str = "") -> list[str]:
    """The model constraints `value` breaks that botocore's validator leaves to the service, as AWS words them."""
    out: list[str] = []
    kind = shape.type_name
    meta = shape.metadata
    if kind == "structure" and isinstance(value, Mapping):
        for key, member in value.items():
            if key in shape.members:
                out += constraint_violations(member, shape.members[key], f"{path}.{key}" if path else key)
    elif kind == "list" and isinstance(value, list):
        if "max" in meta and len(value) > meta["max"]:
            out.append(
                _violation(
                    path, f"[{len(value)} items]", f"Member must have length less than or equal to {meta['max']}"
                )
            )
        for i, item in enumerate(value):
            out += constraint_violations(item, shape.member, f"{path}.{i + 1}")
    elif kind == "map" and isinstance(value, Mapping):
        if "max" in meta and len(value) > meta["max"]:
            out.append(
                _violation(path, f"[{len(value)} entries]", f"Map must have size less than or equal to {meta['max']}")
            )
        for key, item in value.items():
            out += constraint_violations(key, shape.key, f"{path}.key")
            out += constraint_violations(item, shape.value, f"{path}.{key}")
    elif kind == "string" and isinstance(value, str):
        if "max" in meta and len(value) > meta["max"]:
            out.append(_violation(path, value, f"Member must have length less than or equal to {meta['max']}"))
        pattern = _pattern(meta["pattern"]) if "pattern" in meta else None
        if pattern is not None and not pattern.fullmatch(value):
            out.append(_violation(path, value, f"Member must satisfy regular expression pattern: {meta['pattern']}"))
        if shape.enum and value not in shape.enum:
            out.append(_violation(path, value, f"Member must satisfy enum value set: [{', '.join(shape.enum)}]"))
    elif (
        kind in ("integer", "long", "double", "float")
        and isinstance(value, (int, float))
        and value > meta.get("max", value)
    ):
        out.append(_violation(path, value, f"Member must have value less than or equal to {meta['max']}"))
    return out


def _violation(path: str, value: Any, rule: str) -> str:
    shown = value if len(str(value)) <= 80 else f"{str(value)[:77]}..."
    return f"Value '{shown}' at '{path}' failed to satisfy constraint: {rule}"


def shape_response(value: Any, shape: Shape | None) -> Any:
    """Keep only the members `shape` declares (stored records carry internal keys); epoch floats -> datetimes."""
    if shape is None:
        return {}
    kind = shape.type_name
    if kind == "structure" and isinstance(value, Mapping):
        return {
            k: shape_response(v, shape.members[k]) for k, v in value.items() if k in shape.members and v is not None
        }
    if kind == "list" and isinstance(value, list):
        return [shape_response(v, shape.member) for v in value]
    if kind == "map" and isinstance(value, Mapping):
        return {k: shape_response(v, shape.value) for k, v in value.items()}
    if kind == "timestamp" and isinstance(value, (int, float)):
        return dt.datetime.fromtimestamp(value, tz=dt.UTC)
    return value


class ServiceError(Exception):
    """Raised by an operation's implementation; the client turns it into the matching `client.exceptions` class."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


class LocalService:
    """Base of the local clients. Subclasses implement an operation `op_name` as method `_op_name(**params)`."""

    service_name: ClassVar[str]

    def __init__(self, region: str = "us-east-1") -> None:
        self._model = service_model(self.service_name)
        self._methods = {xform_name(op): op for op in self._model.operation_names}
        self.exceptions = _exceptions(self.service_name)
        self.meta = SimpleNamespace(
            service_model=self._model,
            region_name=region,
            method_to_api_mapping=dict(self._methods),
            endpoint_url=f"local://{self.service_name}",
        )

    def __getattr__(self, name: str) -> Callable[..., dict[str, Any]]:
        methods = self.__dict__.get("_methods", {})
        if name in methods:
            return functools.partial(self._call, name)
        raise AttributeError(f"{type(self).__name__!r} object has no attribute {name!r}")

    def can_paginate(self, operation_name: str) -> bool:
        return False

    def _operation(self, method: str) -> OperationModel:
        return self._model.operation_model(self._methods[method])

    def _call(self, method: str, *args: Any, **params: Any) -> dict[str, Any]:
        if args:
            raise TypeError(f"{method}() only accepts keyword arguments.")
        op = self._operation(method)
        validate_parameters(params, op.input_shape)
        problems = constraint_violations(params, op.input_shape) if op.input_shape is not None else []
        if problems:
            count = f"{len(problems)} validation error{'s' if len(problems) > 1 else ''} detected: "
            raise self.error(op.name, "InvalidInputException", count + "; ".join(problems))
        impl = self._implementation(method)
        if impl is None:
            raise NotImplementedError(f"the local {self.service_name} backend does not implement {method}")
        try:
            result = impl(**params) or {}
        except ServiceError as e:
            raise self.error(op.name, e.code, e.message) from None
        response = shape_response(result, op.output_shape)
        if op.output_shape is not None:
            validate_parameters(response, op.output_shape)  # a local backend bug, never a user error
        response["ResponseMetadata"] = {"RequestId": str(uuid.uuid4()), "HTTPStatusCode": 200, "RetryAttempts": 0}
        return dict(response)

    def _implementation(self, method: str) -> Callable[..., dict[str, Any] | None] | None:
        """The method that implements operation `method` (`_<method>`), None when this backend has none."""
        impl: Callable[..., dict[str, Any] | None] | None = getattr(self, f"_{method}", None)
        return impl

    def error(self, operation: str, code: str, message: str) -> ClientError:
        """The exception a real client raises for an error response `code` (a `client.exceptions` class)."""
        cls = getattr(self.exceptions, code, ClientError)
        response: Any = {
            "Error": {"Code": code, "Message": message},
            "ResponseMetadata": {"HTTPStatusCode": 400, "RequestId": str(uuid.uuid4())},
        }
        return cls(response, operation)
