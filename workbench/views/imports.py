"""The admin's import page: upload files (text, Markdown, JSONL, Label Studio, doccano) and import
them all or nothing, with every bad line listed; the same service as ``workbench import``."""
from __future__ import annotations

import tempfile
from pathlib import Path, PurePath

from flask import Blueprint, render_template, request

from ..db import db
from ..services import articles as articles_service
from ..services import imports as imports_service
from ..services.errors import ValidationFailed
from ..services.imports import ImportFailed
from .articles import me
from .guards import requires

bp = Blueprint("imports", __name__)


@bp.route("/admin/import", methods=["GET", "POST"])
@requires("can_manage_users")
def import_page():  # type: ignore[no-untyped-def]
    form = {"map": request.form.get("map", ""), "owner": request.form.get("owner", ""),
            "format": request.form.get("format", "auto"), "unit": request.form.get("unit",
                                                                                 "utf16")}
    if request.method == "GET":
        return render_template("admin/import.html", form=form, errors={}, report=None,
                               problems=[])
    uploads = [f for f in request.files.getlist("files") if f and f.filename]
    errors: dict[str, str] = {}
    problems: list[object] = []
    report = None
    if not uploads:
        errors["files"] = "Choose at least one file."
    else:
        with tempfile.TemporaryDirectory(prefix="workbench-import-") as folder:
            names: dict[str, str] = {}
            for i, upload in enumerate(uploads):
                # The uploaded name keeps its suffix (it tells the format), never its folders.
                original = PurePath(upload.filename).name
                path = Path(folder) / f"{i:03d}-{original}"
                upload.save(path)
                names[str(path)] = original
            paths = [Path(p) for p in names]
            try:
                label_map = imports_service.parse_label_map(form["map"].split())
                report = imports_service.import_paths(
                    db.session, paths, actor=me(), label_map=label_map,
                    owner=form["owner"].strip() or None, fmt=form["format"], unit=form["unit"])
                # Committed, then the new articles join the search index a few hundred per
                # transaction (the import left them out: see services/imports.py).
                db.finish_writes()
                while articles_service.index_deferred_search(db.session):
                    db.finish_writes()
            except ImportFailed as failure:
                problems = [str(p._replace(file=names.get(p.file, p.file)))
                            for p in failure.problems]
                errors["files"] = f"Nothing was imported: {len(problems)} problem(s), listed below."
            except ValidationFailed as error:
                errors[error.field or "files"] = error.message
    status = 422 if errors else 200
    return render_template("admin/import.html", form=form, errors=errors, report=report,
                           problems=problems), status
