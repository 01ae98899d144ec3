"""One history entry per page, not one per setting.

Streamlit pushes a browser history entry whenever a script changes ``st.query_params``,
so every setting a user changed (each written to the URL so that a link reproduces it)
was a step of the Back button: Back after a page switch first walked back through the
old page's settings. This component, mounted once per run by app.py, turns a push that
keeps the page (same path, other query) into a replace: Back goes to the previous page,
whose URL holds its latest settings.
"""

from __future__ import annotations

import streamlit as st

JS = """
export default function () {
  if (window.__bpOneEntryPerPage) return;
  window.__bpOneEntryPerPage = true;
  const push = window.history.pushState.bind(window.history);
  window.history.pushState = function (state, title, url) {
    try {
      const next = new URL(url, window.location.href);
      if (next.pathname === window.location.pathname) {
        return window.history.replaceState(state, title, url);
      }
    } catch (error) { /* not a URL we can read: leave it to the browser */ }
    return push(state, title, url);
  };
}
"""
CSS = ".stElementContainer:has(.bp-history) { display: none; }"

_keeper = st.components.v2.component(
    "one_history_entry_per_page",
    html="<span class='bp-history'></span>",
    css=CSS,
    js=JS,
    isolate_styles=False,
)


def one_entry_per_page() -> None:
    """Mount the history keeper (invisible)."""
    _keeper(key="one_history_entry_per_page")
