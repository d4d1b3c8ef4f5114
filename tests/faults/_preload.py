"""Imported once by the fork server of :mod:`.runner`: every probe child starts with these loaded.

The list covers what a probe and a conversion import on first use (MNE's readers and
montages, zarrs, dask.distributed, ...), so that no child spends its time importing.
"""
import importlib

MODULES = (
    "cv2", "av", "numpy", "pandas", "pandas.core.methods.to_dict", "openpyxl", "scipy.io", "scipy.linalg", "xarray",
    "zarr", "zarrs", "zarrs.pipeline", "dask", "dask.array", "distributed",
    "mne", "mne.io", "mne.io.brainvision", "mne.io.array", "mne.channels", "mne.channels.montage", "mne.event",
    "mne.annotations",
    "mmme_analysis", "mmme_analysis.convert", "mmme_analysis.dataset", "mmme_analysis.dataset.raw",
    "mmme_analysis.dataset.zarr", "mmme_analysis.io.biopac", "mmme_analysis.io.coding", "mmme_analysis.io.eeg",
    "mmme_analysis.io.images", "mmme_analysis.io.video", "mmme_analysis.synth.generator", "mmme_analysis.video.track",
    "tests.faults.probe",
)

for _name in MODULES:
    try:
        importlib.import_module(_name)
    except ImportError:  # optional accelerators (zarrs) may be missing
        pass
