"""Fault corpus, group 'store': expected outcome, raw folder untouched, no real name in messages."""
from .harness import module_tests

test_outcome, test_raw_untouched, test_no_real_names = module_tests('store')
