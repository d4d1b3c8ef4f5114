"""Panel app served by the browser tests: the Explorer on the fake dataset of conftest.py,
or on a dataset folder opened with ``open_dataset``.

    panel serve tests/dashboard/explorer_app.py [--args --data FOLDER]
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
    args, _ = parser.parse_known_args(argv)
    dataset = open_dataset(args.data) if args.data else FakeDataset(FakeSpec())
    return Explorer(dataset, plot_width=700)


pn.extension()
if __name__.startswith("bokeh_app"):
    build(sys.argv[1:]).servable(title="Explorer (test data)")
