"""The Explorer in Jupyter: Panel's notebook extension, and in-place changes sent to it.

In a notebook Panel renders only after its extension is loaded (``pn.extension()``), and
with its default (CDN) resources the output stays blank without network access. The
Explorer therefore loads the extension itself, when it is first displayed and only if it is
not loaded yet, with *inline* resources (BokehJS and Panel's JavaScript embedded in the
notebook: a few MB, but it renders offline and in saved notebooks). Users who loaded
the extension themselves keep their settings.
"""
from __future__ import annotations

import panel as pn

__all__ = ["load_extension", "push_changes"]


def load_extension() -> bool:
    """Load Panel's notebook extension with inline resources, unless it is loaded.

    Returns
    -------
    bool
        True when this call loaded it.
    """
    # the same check Panel makes before it renders a Viewable in a notebook
    if getattr(pn.extension, "_loaded", False):
        return False
    pn.extension(inline=True)
    return True


def push_changes(*viewables) -> None:
    """Send changes made to Bokeh models in place to the notebook showing ``viewables``.

    A server sends them by itself, so this does nothing in a served session, nor where
    the viewables are not displayed.
    """
    doc = pn.state.curdoc
    if doc is not None and doc.session_context is not None:
        return
    try:
        pn.io.push_notebook(*viewables)
    except Exception:  # noqa: BLE001 - not displayed in a notebook
        pass
