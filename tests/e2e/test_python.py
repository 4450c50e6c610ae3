#!/usr/bin/env python3
"""End-to-end: Python frames in the user stacks of parked CPython threads,
on the host's interpreter (Debian's stripped /usr/bin/python3). Other
interpreters (e.g. libpython shared builds) can be added with
LEAKTRACE_PYTHONS="/path/to/python3 ..."; other Debian suites' CPython are
in tests/matrix/test_cpython.py."""
import os

from ltlib import Tap, leftovers
from pycheck import SITES_PY, check_python

t = Tap()
script = os.path.realpath(SITES_PY)
pythons = ["/usr/bin/python3"] + os.environ.get("LEAKTRACE_PYTHONS", "").split()
for py in pythons:
    if not t.ok(os.access(py, os.X_OK), "%s exists" % py):
        continue
    check_python(t, os.path.basename(os.path.dirname(os.path.dirname(py))) + ":" + py,
                 [py, script], script)
t.ok(not leftovers(), "no BPF programs or maps left", leftovers(0))
t.done()
