"""Serve the mmme-analysis correlation explorer.

    panel serve dashboards/correlations.py                          # the demo dataset
    panel serve dashboards/correlations.py --args --data PATH       # a store, raw folder or coding sheet
    panel serve dashboards/correlations.py dashboards/explorer.py --args --data STORE   # clicks open the Explorer
    MMME_DATA=PATH panel serve dashboards/correlations.py           # same, from the environment
    python dashboards/correlations.py [--data PATH] [--port 5006] [--address 127.0.0.1]

``PATH`` is a dataset store, a raw folder or a coding sheet (``.xlsx``, ``.xls``, ``.csv``:
annotation features only); its event table (:func:`mmme_analysis.stats.event_table`) is
computed once and cached in the store (or the user cache folder). As for the Explorer
(``dashboards/explorer.py``), ``PATH`` must lie inside the data root ``MMME_DATA_ROOT``
(default: the current folder); other paths are refused with a message.

A click on a point of the pair's scatter opens that event in the Explorer at its apex,
``<explorer url>?trial=<trial>&t=<apex s>``: by default ``explorer``, the Explorer app
served beside this one (``panel serve ... dashboards/explorer.py``, same ``--data``);
``--explorer-url URL`` (or ``MMME_EXPLORER_URL``) points elsewhere, ``--explorer-url ""``
turns the links off. A coding sheet has no recordings to open: its links are off.
In JupyterLab use ``CorrelationExplorer.from_source(path)`` from ``mmme_analysis.dashboard``.
"""
from __future__ import annotations

import argparse
import os
import sys

import panel as pn

from mmme_analysis.dashboard import data_root

TITLE = "mmme-analysis correlations"
#: Suffixes of coding sheets (annotation features only; nothing to open in the Explorer).
SHEET_SUFFIXES = (".xlsx", ".xlsm", ".xls", ".csv")


def _parse(argv):
    parser = argparse.ArgumentParser(prog="correlations", description="mmme-analysis correlation explorer")
    parser.add_argument("--data", default=os.environ.get("MMME_DATA"),
                        help="store, raw folder or coding sheet (default: $MMME_DATA, else the demo dataset)")
    parser.add_argument("--explorer-url", default=os.environ.get("MMME_EXPLORER_URL", "explorer"),
                        help="address of the Explorer that a click on a point opens ('' for none)")
    parser.add_argument("--n-permutations", type=int, default=1000, help="permutations of the null and contrast")
    parser.add_argument("--address", default="127.0.0.1", help="address to listen on (python ... only)")
    parser.add_argument("--port", type=int, default=5006, help="port (python ... only)")
    args, _ = parser.parse_known_args(argv)
    return args


def resolve_data(data, root=None):
    """:func:`mmme_analysis.dashboard.data_root.resolve_data` for a dataset or a coding sheet."""
    return data_root.resolve_data(data, root, what="dataset or coding sheet")


def build(argv=None):
    """The page served to one session: the :class:`CorrelationExplorer`, or a message saying why there is none."""
    from mmme_analysis.dashboard import CorrelationExplorer

    pn.extension(notifications=False)
    args = _parse(sys.argv[1:] if argv is None else argv)
    try:
        path = resolve_data(args.data)
        sheet = path.is_file() and path.suffix.lower() in SHEET_SUFFIXES
        url = "" if sheet else args.explorer_url
        app = CorrelationExplorer.from_source(path, explorer_url=url, title=f"{TITLE} &nbsp; <small>{path.name}</small>",
                                              n_permutations=args.n_permutations)
    except (PermissionError, FileNotFoundError, ValueError, TypeError, OSError) as err:
        return pn.Column(pn.pane.Markdown(f"# {TITLE}"), pn.pane.Alert(str(err), alert_type="danger"))
    if sheet:
        app.notes = [*app.notes, "A coding sheet: annotation features only (durations, AUs), no recordings to "
                                 "open in the Explorer."]
    return app


if __name__.startswith("bokeh_app"):
    build().servable(title=TITLE)
elif __name__ == "__main__":
    _args = _parse(sys.argv[1:])
    pn.serve(build, address=_args.address, port=_args.port, show=False, title=TITLE,
             websocket_origin=[f"{_args.address}:{_args.port}", f"localhost:{_args.port}"])
