"""Fault corpus of issue 10 ("Trustworthy with real, messy data").

Every fault damages a copy of a small synthetic raw folder or of its converted store, a
fixed probe (open, list trials, load every trial, a 1 s window, frames, convert) runs on it
in a forked child with a timeout, and the observed outcome is compared with the one a
careful researcher expects (``error`` naming the file / trial / array, ``warning`` while
the rest loads, or ``tolerated``: the result equals the stated expectation). The raw folder
is hashed before and after each probe.

Modules: :mod:`.faultlib` (fault and expectation types, file-editing helpers),
:mod:`.corpus_raw` and :mod:`.corpus_store` (the fault tables), :mod:`.corpus` (both),
:mod:`.probe` (runs in the child), :mod:`.runner` (copy, damage, hash, run), :mod:`.verdict`
(classification and expectation checks), :mod:`.pristine` (the shared pristine data),
:mod:`.harness` (the three checks of a fault; ``module_tests(group)`` makes each group's test
module), :mod:`.report` (``python -m tests.faults.report``).

Speed: the pristine data are built once per session (one xdist worker builds, the other's
fork server preloads meanwhile); each probe cuts the 1 s window of the affected trials and
A1 only, and runs ``convert`` only for faults whose damage convert reads itself (videos,
folder layout; ``Fault.convert``).
"""
