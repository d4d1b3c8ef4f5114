"""The layer contract of docs/architecture.md holds, fails on an upward import, and modules stay small."""
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
LINT = Path(sys.executable).with_name("lint-imports")
MAX_LINES = 400


def _lint(package_parent: Path) -> subprocess.CompletedProcess:
    return subprocess.run([str(LINT), "--config", str(ROOT / "pyproject.toml"), "--no-cache"], cwd=package_parent,
                          capture_output=True, text=True, env={"PYTHONPATH": str(package_parent), "PATH": "/usr/bin"},
                          timeout=120)


@pytest.mark.skipif(not LINT.exists(), reason="import-linter not installed")
def test_layers_are_kept_and_an_upward_import_breaks_them(tmp_path):
    ok = _lint(ROOT)
    assert ok.returncode == 0 and "0 broken" in ok.stdout, ok.stdout + ok.stderr
    copy = tmp_path / "mmme_analysis"
    shutil.copytree(ROOT / "mmme_analysis", copy, ignore=shutil.ignore_patterns("__pycache__"))
    (copy / "io" / "upward.py").write_text("from ..dashboard import Explorer\n")
    bad = _lint(tmp_path)
    assert bad.returncode != 0
    assert "mmme_analysis.io is not allowed to import mmme_analysis.dashboard" in bad.stdout, bad.stdout


def test_modules_stay_small():
    sizes = {str(p.relative_to(ROOT)): len(p.read_text().splitlines())
             for p in sorted((ROOT / "mmme_analysis").rglob("*.py")) + sorted((ROOT / "dashboards").glob("*.py"))}
    assert {k: v for k, v in sizes.items() if v > MAX_LINES} == {}


def test_no_private_name_crosses_a_subpackage():
    """``from ..pkg.mod import _name`` across subpackages is what public names are for."""
    import re

    pattern = re.compile(r"from \.\.(\w+)[\w.]* import ([^\n]+)")
    bad = []
    for path in (ROOT / "mmme_analysis").rglob("*.py"):
        for match in pattern.finditer(path.read_text()):
            names = [n.strip().split(" as ")[0] for n in match[2].strip("()").split(",")]
            if any(n.startswith("_") and not n.startswith("__") for n in names):
                if not match[1].startswith("_"):  # the base modules _validate, _atomic, _warnings are shared
                    bad.append(f"{path.relative_to(ROOT)}: {match[0]}")
    assert bad == []


def test_subpackages_are_attributes():
    import mmme_analysis as mm

    assert mm.physio.ecg_process is not None and mm.stats.compare_moments is not None
    assert set(mm.SUBMODULES) <= set(dir(mm))
