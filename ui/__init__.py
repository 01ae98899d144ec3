"""Streamlit helpers shared by the pages (no math: that lives in engine/).

Importing this package limits numpy's BLAS to one thread for the whole server process:
the app multiplies small matrices for many sessions at once, where BLAS threads only
contend for the cores (measured: a Train click on the decision-boundary page took
4.2–5.0 s with the default threads on a loaded 2-core machine, 1.2 s with one). It is
done here, once per process, because Streamlit has imported numpy before app.py runs.
"""

import numpy  # noqa: F401  (loads BLAS: the limit reaches only libraries already loaded)
from threadpoolctl import threadpool_limits

threadpool_limits(limits=1, user_api="blas")
