"""Tests of the stimulus markers and categories."""
import numpy as np
import pytest

from mmme_analysis.vocab import STIMULUS_CATEGORIES, marker_category

README_BLOCKS = {  # shared/data/README.md, "Stimulus categories"
    101: [1, 2, 3, 4, 5, 6, 7, 8],
    109: [1, 2, 3, 2, 4, 5, 6, 7, 8],
    118: [1, 2, 3, 4, 5, 3, 6, 7, 8],
    127: [1, 2, 3, 4, 5, 6, 7, 4, 8],
    136: [1, 2, 3, 4, 5, 6, 7, 8, 5, 6, 7, 8, 1],
}


def test_marker_category_table():
    expected = {s + i: c for s, cats in README_BLOCKS.items() for i, c in enumerate(cats)}
    assert sorted(expected) == list(range(101, 149))
    for marker, cat in expected.items():
        assert marker_category(marker) == cat
        assert marker_category(np.int64(marker)) == cat
    assert marker_category(100) == 0
    assert marker_category(112.0) == 2
    assert STIMULUS_CATEGORIES == {1: "sad", 2: "disgust", 3: "happy", 4: "fear",
                                   5: "nervous", 6: "calm", 7: "anger", 8: "surprise"}
    # spot checks written out by hand from the README
    assert [marker_category(m) for m in (112, 123, 134, 148)] == [2, 3, 4, 1]


@pytest.mark.parametrize("marker", [99, 149, 0, -101, 101.5, "101", None, True])
def test_marker_category_bad(marker):
    with pytest.raises(ValueError, match=r"Invalid value for 'marker': expected a stimulus "
                                         r"marker 101-148 or the rest marker 100, got"):
        marker_category(marker)
