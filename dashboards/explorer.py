"""Serve the mmme-analysis Explorer.

    panel serve dashboards/explorer.py                          # the demo dataset
    panel serve dashboards/explorer.py --args --data STORE      # a store under the data root
    MMME_DATA=STORE panel serve dashboards/explorer.py          # same, from the environment
    python dashboards/explorer.py [--data STORE] [--port 5006] [--address 127.0.0.1]

A page's address may name the trial and time to open: ``/explorer?trial=sub-01_101&t=2.5``
(the video frame nearest ``t`` seconds on the trial axis; see ``Explorer.open_url``).

``python dashboards/explorer.py`` listens on 127.0.0.1 unless ``--address`` says otherwise.
``panel serve`` listens on every interface unless given ``--address 127.0.0.1``, but by default
accepts websocket connections only from pages served as ``localhost:PORT``; pass
``--address 127.0.0.1`` to bind to localhost there too. A user's store must
lie inside the data root ``MMME_DATA_ROOT`` (default: the current folder); other paths are
refused with a message, so a served explorer cannot be pointed at arbitrary folders.
Prediction CSVs found in ``STORE/predictions/`` and in ``MMME_PREDICTIONS`` are offered in
the sidebar. In JupyterLab use ``Explorer(dataset)`` from ``mmme_analysis.dashboard``.
"""
from __future__ import annotations

import argparse
import os
import sys

import panel as pn

from mmme_analysis.dashboard.data_root import resolve_data


def _parse(argv):
    parser = argparse.ArgumentParser(prog="explorer", description="mmme-analysis Explorer")
    parser.add_argument("--data", default=os.environ.get("MMME_DATA"),
                        help="dataset store or raw folder (default: $MMME_DATA, else the demo dataset)")
    parser.add_argument("--address", default="127.0.0.1", help="address to listen on (python ... only)")
    parser.add_argument("--port", type=int, default=5006, help="port (python ... only)")
    args, _ = parser.parse_known_args(argv)
    return args


def build():
    """The page served to one session."""
    from mmme_analysis.dashboard import Explorer
    from mmme_analysis.dataset import open_dataset

    pn.extension(notifications=False)
    args = _parse(sys.argv[1:])
    try:
        path = resolve_data(args.data)
        dataset = open_dataset(path)
    except (PermissionError, FileNotFoundError, ValueError, OSError) as err:
        return pn.Column(pn.pane.Markdown("# mmme-analysis Explorer"),
                         pn.pane.Alert(str(err), alert_type="danger"))
    pred_dirs = [d for d in os.environ.get("MMME_PREDICTIONS", "").split(os.pathsep) if d]
    explorer = Explorer(dataset, prediction_dirs=pred_dirs)
    explorer.open_url(pn.state.session_args or {})  # ?trial=<trial id>&t=<seconds>
    header = pn.pane.Markdown(f"## mmme-analysis Explorer &nbsp; <small>{path.name}</small>", margin=(0, 10))
    return pn.Column(header, explorer, sizing_mode="stretch_width")


if __name__.startswith("bokeh_app"):
    build().servable(title="mmme-analysis Explorer")
elif __name__ == "__main__":
    _args = _parse(sys.argv[1:])
    pn.serve(build, address=_args.address, port=_args.port, show=False, title="mmme-analysis Explorer",
             websocket_origin=[f"{_args.address}:{_args.port}", f"localhost:{_args.port}"])
