"""HTML → PDF for verdict reports, with WeasyPrint. Pure: no Flask, no database.

The page's own stylesheet is read from ``static/`` on disk (never over the network: the
server would be fetching from itself), and every other URL is refused, so a report can never
make the server fetch an evidence link.
"""
from __future__ import annotations

from pathlib import Path
from urllib.parse import urlsplit

from .config import PROJECT_ROOT

STATIC = PROJECT_ROOT / "static"
# Page numbers and margins; the screen stylesheet's @media print rules do the rest.
PAGE_CSS = """
@page { size: A4; margin: 18mm 16mm 20mm;
        @bottom-center { content: "Page " counter(page) " of " counter(pages);
                         font: 9pt sans-serif; color: #5a6470; } }
body { background: #fff; }
mark.hl { -webkit-print-color-adjust: exact; print-color-adjust: exact; }
"""


def _static_bytes(url: str) -> tuple[bytes, str]:
    path = urlsplit(url).path
    if not path.startswith("/static/"):
        raise ValueError(f"reports fetch nothing but their stylesheet, not {url}")
    target = (STATIC / path.removeprefix("/static/")).resolve()
    if STATIC.resolve() not in target.parents or not target.is_file():
        raise ValueError(f"no such static file: {path}")
    mime = {".css": "text/css", ".svg": "image/svg+xml", ".png": "image/png"}.get(
        target.suffix, "application/octet-stream")
    return Path(target).read_bytes(), mime


def _fetcher():  # type: ignore[no-untyped-def]
    from weasyprint.urls import URLFetcher, URLFetcherResponse

    class StaticOnly(URLFetcher):  # type: ignore[misc]
        """Serves /static/ from disk; refuses everything else (no network, ever)."""

        def fetch(self, url, headers=None):  # type: ignore[no-untyped-def]
            body, mime = _static_bytes(url)
            return URLFetcherResponse(url, body=body, headers={"Content-Type": mime})

    return StaticOnly()


def html_to_pdf(html: str, base_url: str) -> bytes:
    """The PDF of a report page (links stay links; text stays text)."""
    from weasyprint import CSS, HTML

    document = HTML(string=html, base_url=base_url, url_fetcher=_fetcher())
    return document.write_pdf(stylesheets=[CSS(string=PAGE_CSS)])  # type: ignore[no-any-return]
