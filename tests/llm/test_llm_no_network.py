"""The in-process backend works with every socket blocked."""

import dataclasses
import socket

import pytest

from ratings.llm import get_backend


class NetworkBlocked(AssertionError):
    pass


@pytest.fixture
def no_network(monkeypatch):
    def refuse(*args, **kwargs):
        raise NetworkBlocked("network access attempted")

    for name in ("socket", "create_connection", "getaddrinfo", "socketpair"):
        monkeypatch.setattr(socket, name, refuse)
    yield


def test_scoring_and_loading_make_no_network_call(no_network, engagement_request):
    with pytest.raises(NetworkBlocked):
        socket.create_connection(("127.0.0.1", 9))
    backend = get_backend("llama_cpp", n_ctx=1024, n_threads=2)  # loads a model here
    rating = backend.rate(dataclasses.replace(engagement_request,
                                              items=engagement_request.items[:2]))
    assert len(rating.items) == 2
    assert rating.provenance.model_sha256
