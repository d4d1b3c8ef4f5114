"""Panel app served by the browser tests: the Explorer on the fake dataset of conftest.py.

    panel serve tests/dashboard/explorer_app.py [--args --broken-frame 5]
"""
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import panel as pn  # noqa: E402
from conftest import FakeDataset, FakeSpec  # noqa: E402

from mmme_analysis.dashboard import Explorer  # noqa: E402

pn.extension()
if __name__.startswith("bokeh_app"):
    Explorer(FakeDataset(FakeSpec()), plot_width=700).servable(title="Explorer (test data)")
