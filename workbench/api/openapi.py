"""The OpenAPI 3.1 document, built from the route registry and the pydantic models."""
from __future__ import annotations

import re
from functools import lru_cache
from typing import Any

from pydantic import BaseModel

from ..config import MAX_INT
from .registry import OPERATIONS
from .schemas import REQUEST_MODELS, RESPONSE_MODELS, ErrorOut

REF = "#/components/schemas/{model}"


def _models() -> list[type[BaseModel]]:
    """The shared models, then any other model an operation names (routes in other modules)."""
    models = [*REQUEST_MODELS, *RESPONSE_MODELS]
    for op in OPERATIONS:
        for model in (op.request, *(m for _, m in op.responses.values())):
            if model is not None and model not in models:
                models.append(model)
    return models


def _schemas() -> dict[str, Any]:
    schemas: dict[str, Any] = {}
    for model in _models():
        schema = model.model_json_schema(ref_template=REF)
        schemas.update(schema.pop("$defs", {}))
        schemas[model.__name__] = schema
    return schemas


def _ref(model: type[BaseModel]) -> dict[str, str]:
    return {"$ref": REF.format(model=model.__name__)}


def _openapi_path(flask_path: str) -> tuple[str, list[dict[str, Any]]]:
    params = []
    for converter, name in re.findall(r"<(?:(\w+):)?(\w+)>", flask_path):
        schema = ({"type": "integer", "minimum": 1, "maximum": MAX_INT} if converter == "int"
                  else {"type": "string"})
        params.append({"name": name, "in": "path", "required": True, "schema": schema})
    return "/api/v1" + re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", flask_path), params


def _merged(path_params: list[dict[str, Any]], declared: list[dict[str, Any]]
            ) -> list[dict[str, Any]]:
    """The path parameters, each replaced by a route's own description of it (an enum, say),
    then the route's other parameters."""
    own = {p["name"]: p for p in declared if p["in"] == "path"}
    return ([own.get(p["name"], p) for p in path_params]
            + [p for p in declared if p["in"] != "path"])


UNAVAILABLE = ("The database cannot be reached (`unavailable`); nothing was written: try again "
               "after `Retry-After` seconds", ErrorOut)
DISK_FULL = ("The server's disk is full (`disk_full`, SQLite); nothing was written", ErrorOut)


@lru_cache(maxsize=1)
def build_document() -> dict[str, Any]:
    """Every API route, its request body, parameters and responses."""
    paths: dict[str, dict[str, Any]] = {}
    for op in OPERATIONS:
        path, params = _openapi_path(op.path)
        operation: dict[str, Any] = {
            "operationId": op.endpoint.split(".", 1)[1],
            "summary": op.summary,
            "parameters": _merged(params, op.query),
            "responses": {},
        }
        if op.public:
            operation["security"] = []
        if op.request is not None:
            operation["requestBody"] = {"required": True, "content": {
                "application/json": {"schema": _ref(op.request)}}}
        responses = dict(op.responses)
        if op.request is not None:  # parse_body refuses any other content type
            responses.setdefault(415, ("The body is not sent as application/json", ErrorOut))
        if not op.public:  # every route that reads the database may find it gone or full
            responses.setdefault(503, UNAVAILABLE)
            if op.method != "get":
                responses.setdefault(507, DISK_FULL)
        for status, (description, model) in sorted(responses.items()):
            response: dict[str, Any] = {"description": description}
            if status == 503:
                response["headers"] = {"Retry-After": {
                    "description": "Seconds to wait before trying again",
                    "schema": {"type": "integer"}}}
            if model is not None:
                response["content"] = {"application/json": {"schema": _ref(model)}}
            elif op.public and status == 200:
                response["content"] = {"application/json": {"schema": {"type": "object"}}}
            operation["responses"][str(status)] = response
        paths.setdefault(path, {})[op.method] = operation
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "Fact-check workbench API",
            "version": "1",
            "description": "Offsets are Unicode code points into the article's canonical body "
                           "(NFC, \\n line ends). Errors answer {\"error\": {code, message, "
                           "field}}; a refused request writes nothing.",
        },
        "servers": [{"url": "/"}],
        "components": {
            "schemas": _schemas(),
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
        },
        "security": [{"bearer": []}],
        "paths": paths,
    }
