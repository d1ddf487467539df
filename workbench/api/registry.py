"""Routes declare their OpenAPI operation where they are defined, so the document lists every route."""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from flask import Blueprint
from pydantic import BaseModel


@dataclass
class Operation:
    path: str
    method: str
    endpoint: str
    summary: str
    request: type[BaseModel] | None
    responses: dict[int, tuple[str, type[BaseModel] | None]]
    query: list[dict[str, Any]] = field(default_factory=list)
    public: bool = False


OPERATIONS: list[Operation] = []
PUBLIC_ENDPOINTS: set[str] = set()


def api_route(bp: Blueprint, path: str, method: str, *, summary: str,
              responses: dict[int, tuple[str, type[BaseModel] | None]],
              request: type[BaseModel] | None = None, query: list[dict[str, Any]] | None = None,
              public: bool = False) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Register a view on ``bp`` and describe it for the OpenAPI document."""

    def decorate(view: Callable[..., Any]) -> Callable[..., Any]:
        endpoint = f"{bp.name}.{view.__name__}"
        bp.add_url_rule(path, view_func=view, methods=[method])
        OPERATIONS.append(Operation(path=path, method=method.lower(), endpoint=endpoint,
                                    summary=summary, request=request, responses=responses,
                                    query=query or [], public=public))
        if public:
            PUBLIC_ENDPOINTS.add(endpoint)
        return view

    return decorate
