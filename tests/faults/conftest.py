"""The pristine data, built once per session (one xdist worker builds, the other waits)."""
from __future__ import annotations

import os

import pytest

from .pristine import build_pristine
from .runner import start


@pytest.fixture(scope="session")
def pristine(tmp_path_factory):
    start()  # the fork server preloads while the other worker builds the pristine data
    root = tmp_path_factory.getbasetemp()
    shared = root.parent if os.environ.get("PYTEST_XDIST_WORKER") else root
    return build_pristine(shared / "mmme-faults-pristine", tmp_path_factory.mktemp("faults"))
