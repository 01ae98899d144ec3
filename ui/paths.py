"""Pages at odd URLs: a browser that asks for ``/decision_boundary/extra`` or
``/app_pages/build_and_step.py`` is sent to the page itself, query string kept.

Why: for any path it does not know, Streamlit answers with its index.html, whose script
and style paths are relative (``./static/js/…``). Under a path of two or more segments
they resolve under that path, are answered with the same index.html, and the page stays
blank. The redirect is relative, so it survives a proxy that strips a path prefix.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import PurePosixPath

from starlette.datastructures import Headers
from starlette.responses import RedirectResponse
from starlette.types import ASGIApp, Receive, Scope, Send

# Streamlit's own multi-segment paths (its assets, API, media, components, app/static).
STREAMLIT_PREFIXES = ("_stcore", "static", "media", "component", "app")


def page_redirect(path: str, pages: Iterable[str], base: str = "") -> str | None:
    """Where a page request at ``path`` should go instead (relative), or None to serve it.
    ``pages``: the pages' URL paths; ``base``: server.baseUrlPath. A path of two or more
    segments that is not Streamlit's own goes to the first segment naming a page (``x.py``
    names page ``x``), else to the home page."""
    base_parts = [p for p in base.split("/") if p]
    parts = path.split("/")[1:]
    if parts[: len(base_parts)] == base_parts:
        parts = parts[len(base_parts) :]
    if len(parts) < 2 or "" in parts or parts[0] in STREAMLIT_PREFIXES:
        return None
    known = set(pages)
    target = next((PurePosixPath(p).stem for p in parts if PurePosixPath(p).stem in known), "")
    return "../" * (len(parts) - 1) + target


class OddPathRedirect:
    """ASGI middleware: a browser's page request (GET or HEAD that accepts HTML) at an odd
    path is redirected (302) to the page it names; everything else passes through."""

    def __init__(self, app: ASGIApp, pages: Iterable[str], base: str = "") -> None:
        self.app, self.pages, self.base = app, tuple(pages), base

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["method"] in ("GET", "HEAD"):
            if "text/html" in Headers(scope=scope).get("accept", ""):
                target = page_redirect(scope["path"], self.pages, self.base)
                if target is not None:
                    query = scope.get("query_string", b"").decode("latin-1")
                    url = target + (f"?{query}" if query else "")
                    response = RedirectResponse(url, 302, headers={"Cache-Control": "no-cache"})
                    await response(scope, receive, send)
                    return
        await self.app(scope, receive, send)
