"""Reading a MAT v5 matrix in place (mmme_analysis.io.matfile) and the lazy BIOPAC reader on it."""
import dask.array as da
import numpy as np
import pytest
from scipy.io import loadmat, savemat

from mmme_analysis.errors import DataFormatError
from mmme_analysis.io.biopac import read_biopac, write_biopac_mat
from mmme_analysis.io.matfile import MatMatrix, mat_matrix_map


@pytest.fixture
def matrix(tmp_path):
    x = np.random.default_rng(0).normal(size=(1001, 5))
    path = tmp_path / "m.mat"
    savemat(path, {"aa": np.arange(3.0), "data": x, "zz": "text"})
    return path, x


def test_matrix_equals_loadmat(matrix):
    path, x = matrix
    m = mat_matrix_map(path, "data")
    assert isinstance(m, MatMatrix) and m.shape == x.shape
    np.testing.assert_array_equal(m[:, 3], x[:, 3])
    np.testing.assert_array_equal(m[10:500, [0, 4]], x[10:500, [0, 4]])
    np.testing.assert_array_equal(m[990:2000, 1:3], x[990:, 1:3])
    np.testing.assert_array_equal(m.column_view(2)[7:9], x[7:9, 2])
    np.testing.assert_array_equal(da.from_array(m.column_view(4), chunks=100).compute(), x[:, 4])


@pytest.mark.parametrize("kind", [np.float32, np.int16, np.uint8])
def test_other_stored_types(tmp_path, kind):
    x = (np.arange(40).reshape(10, 4) % 7).astype(kind)
    savemat(tmp_path / "t.mat", {"data": x})
    m = mat_matrix_map(tmp_path / "t.mat", "data")
    np.testing.assert_array_equal(m[:, :], loadmat(tmp_path / "t.mat")["data"])


@pytest.mark.parametrize("make", [
    lambda p: savemat(p, {"data": np.ones((4, 3))}, do_compression=True),  # compressed: scipy reads it
    lambda p: savemat(p, {"other": np.ones((4, 3))}),  # absent
    lambda p: savemat(p, {"data": np.ones((4, 3)) + 1j}),  # complex
    lambda p: p.write_bytes(b"not a mat file at all" * 20),  # not MAT v5
])
def test_not_mappable_gives_none(tmp_path, make):
    path = tmp_path / "x.mat"
    make(path)
    assert mat_matrix_map(path, "data") is None


def test_truncated_matrix_is_an_error_naming_the_file(matrix, tmp_path):
    path, _ = matrix
    cut = tmp_path / "cut.mat"
    cut.write_bytes(path.read_bytes()[:3000])
    with pytest.raises(DataFormatError, match=r"cut\.mat: cannot be read as a MATLAB v5 file: variable 'data' is cut "
                                              r"short: expected 40040 bytes"):
        mat_matrix_map(cut, "data")


def test_file_shrunk_after_opening(matrix):
    path, _ = matrix
    m = mat_matrix_map(path, "data")
    path.write_bytes(path.read_bytes()[:2000])
    with pytest.raises(DataFormatError, match=r"m\.mat: expected 1001 samples of column 4 from sample 0, read 0"):
        m[:, 4]


def test_read_biopac_is_lazy_and_reads_only_the_window(tmp_path, monkeypatch):
    n, sfreq = 600_000, 1000.0
    rng = np.random.default_rng(1)
    sig = {k: rng.normal(size=n) for k in ("ECG", "PPG", "RSP", "EMG", "EDA", "SKT")}
    trig = np.zeros(n, dtype=int)
    trig[1000:1010] = 101
    path = write_biopac_mat(tmp_path / "s.mat", sig, sfreq, trig)
    whole = loadmat(path)["data"]
    reads = []
    original = MatMatrix.column

    def spy(self, j, start=0, stop=None):
        out = original(self, j, start, stop)
        reads.append(out.size)
        return out

    monkeypatch.setattr(MatMatrix, "column", spy)
    bio = read_biopac(path)
    assert isinstance(bio["ECG"].data, da.Array) and int(bio["trigger"].values[1005]) == 101
    reads.clear()
    ecg = bio["ECG"].isel(time=slice(300_000, 301_000)).values
    np.testing.assert_allclose(ecg, whole[300_000:301_000, 5] * 1e-3)  # mV -> V
    assert sum(reads) <= 2**18  # one chunk of one column, not the recording

