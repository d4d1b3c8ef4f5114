"""Panel app served by the browser tests: the Explorer on the fake dataset of conftest.py
(its frames ``--size WxH``, default 224x120), or on a dataset folder opened with
``open_dataset``.

    panel serve tests/dashboard/explorer_app.py [--args --data FOLDER | --size 2048x1088]
"""
import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import panel as pn  # noqa: E402
from conftest import FakeDataset, FakeSpec  # noqa: E402

from mmme_analysis.dashboard import Explorer  # noqa: E402
from mmme_analysis.dataset import open_dataset  # noqa: E402


def build(argv):
    parser = argparse.ArgumentParser()
    parser.add_argument("--data", default=None, help="dataset folder (default: the fake dataset)")
    parser.add_argument("--size", default=None, help="frame size of the fake dataset, WxH")
    args, _ = parser.parse_known_args(argv)
    spec = FakeSpec()
    if args.size:  # index blocks 1/16 of the width: legible at any display size
        w, h = (int(v) for v in args.size.split("x"))
        spec = FakeSpec(width=w, height=h, stamp_block=w // 16, subjects=("sub-01",), markers=(101,))
    dataset = open_dataset(args.data) if args.data else FakeDataset(spec)
    explorer = Explorer(dataset, plot_width=700)
    explorer.open_url(pn.state.session_args or {})  # ?trial=<trial id>&t=<seconds>, as dashboards/explorer.py
    return explorer


pn.extension()
if __name__.startswith("bokeh_app"):
    build(sys.argv[1:]).servable(title="Explorer (test data)")
