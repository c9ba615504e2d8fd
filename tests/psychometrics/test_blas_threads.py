"""`one_blas_thread` shares one process-wide BLAS limit between threads: the last to leave
restores it, so a report finishing in one web-worker thread neither lifts the limit under a
report still running in another nor leaves BLAS on one thread for good."""

import threading

import pytest

from psychometrics._base import one_blas_thread

threadpoolctl = pytest.importorskip("threadpoolctl")


def blas_threads() -> set[int]:
    return {info["num_threads"] for info in threadpoolctl.threadpool_info() if info["user_api"] == "blas"}


def test_the_limit_lasts_until_the_last_thread_leaves():
    original = blas_threads()
    if not original or original == {1}:
        pytest.skip("BLAS runs on one thread here already: nothing to observe")
    a_inside, b_inside, a_left = threading.Event(), threading.Event(), threading.Event()
    seen = {}

    def a():
        with one_blas_thread():
            a_inside.set()
            b_inside.wait(10)
        a_left.set()

    def b():
        a_inside.wait(10)
        with one_blas_thread():
            b_inside.set()
            a_left.wait(10)
            seen["b after a left"] = blas_threads()

    threads = [threading.Thread(target=a), threading.Thread(target=b)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(20)
    assert seen["b after a left"] == {1}
    assert blas_threads() == original


def test_nested_contexts_restore_on_the_outermost_exit():
    original = blas_threads()
    with one_blas_thread():
        with one_blas_thread():
            pass
        assert blas_threads() <= {1}
    assert blas_threads() == original
