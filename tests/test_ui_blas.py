"""The server's numpy multiplies on one BLAS thread (see ui/__init__.py)."""

from threadpoolctl import threadpool_info

import ui


def test_importing_ui_runs_numpys_blas_on_one_thread():
    assert ui.__name__ == "ui"
    # numpy's own BLAS: what every engine product uses.
    blas = [i for i in threadpool_info() if i["user_api"] == "blas" and "numpy" in i["filepath"]]
    assert blas and all(i["num_threads"] == 1 for i in blas)
