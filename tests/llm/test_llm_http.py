"""The HTTP backend against a real llama.cpp server on the bundled model, started here."""

import dataclasses
import http.server
import json
import socket
import subprocess
import sys
import threading
import time
import urllib.request

import jsonschema
import pytest

from ratings.llm import default_model_path, get_backend
from ratings.llm.errors import LlmPermanentError, LlmTransientError
from ratings.llm.http_backend import HttpBackend
from ratings.llm.request import (
    DecodingParams,
    ItemPrompt,
    NumericScale,
    RatingOptions,
    RatingRequest,
)

from .conftest import TRANSCRIPT

STARTUP_LIMIT_S = 90


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def server_url(tmp_path_factory):
    port = free_port()
    log = tmp_path_factory.mktemp("llama-server") / "server.log"
    with log.open("wb") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "llama_cpp.server", "--model", str(default_model_path()),
             "--host", "127.0.0.1", "--port", str(port), "--n_ctx", "2048",
             "--n_threads", "2", "--n_threads_batch", "2", "--seed", "0"],
            stdout=out, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + STARTUP_LIMIT_S
        while True:
            if process.poll() is not None:
                pytest.fail(f"llama_cpp.server exited: {log.read_text()[-2000:]}")
            try:
                urllib.request.urlopen(url + "/v1/models", timeout=2).read()
                break
            except OSError:
                if time.monotonic() > deadline:
                    pytest.fail(f"llama_cpp.server did not start in {STARTUP_LIMIT_S} s")
                time.sleep(0.5)
        yield url
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@pytest.fixture(scope="module")
def http_backend(server_url):
    return get_backend("http", base_url=server_url + "/v1", n_ctx=2048,
                       model_path=default_model_path())


@pytest.fixture(scope="module")
def subset(engagement_request):
    return dataclasses.replace(engagement_request, items=engagement_request.items[:3])


@pytest.fixture(scope="module")
def remote_rating(http_backend, subset):
    return http_backend.rate(subset)


def test_likert_items_over_http_match_the_in_process_backend(remote_rating, engagement_rating,
                                                            backend, subset):
    local = engagement_rating
    for r, l in zip(remote_rating.items, local.items[:3]):
        assert list(r.distribution) == [1, 2, 3, 4, 5]
        assert sum(r.distribution.values()) == pytest.approx(1.0, abs=1e-9)
        assert r.distribution == pytest.approx(l.distribution, abs=0.02)
        assert r.label_mass == pytest.approx(l.label_mass, abs=0.02)
    assert remote_rating.provenance.backend == "http"
    assert remote_rating.provenance.model_sha256 == local.provenance.model_sha256
    assert (remote_rating.provenance.prompt_template_version
            == local.provenance.prompt_template_version)
    # Both send the items in one order and count each shared start of them once.
    local_subset = backend.rate(subset)
    assert remote_rating.tokens_evaluated == local_subset.tokens_evaluated
    assert ([i.tokens_evaluated for i in remote_rating.items]
            == [i.tokens_evaluated for i in local_subset.items])


def test_http_scores_are_repeatable(http_backend, subset, remote_rating):
    again = http_backend.rate(subset)
    for a, b in zip(remote_rating.items, again.items):
        assert a.distribution == pytest.approx(b.distribution, abs=1e-6)


def test_a_0_to_100_item_over_http(http_backend):
    scale = NumericScale(0, 100, ((0, "not at all"), (100, "completely")))
    request = RatingRequest("Rate the client.", TRANSCRIPT,
                            (ItemPrompt("motivation", "How motivated is the client?", scale),))
    item = http_backend.rate(request).items[0]
    assert list(item.distribution) == list(range(101))
    assert sum(item.distribution.values()) == pytest.approx(1.0, abs=1e-9)


def test_long_material_over_http_is_read_in_windows(server_url):
    narrow = HttpBackend(server_url, n_ctx=320)
    long_text = "\n".join([TRANSCRIPT] * 3)
    request = RatingRequest("Rate the client.", long_text, (
        ItemPrompt("change", "How much did the client talk about change?",
                   NumericScale(1, 5, ((1, "not at all"), (5, "very much")))),),
        options=RatingOptions(window_overlap_tokens=24))
    reports = []
    rating = narrow.rate(request, progress=lambda done, total: reports.append((done, total)))
    windows = rating.windows
    assert len(windows) >= 2
    assert reports == [(n, len(windows)) for n in range(len(windows) + 1)]  # before the first and per item read
    assert windows[0].char_start == 0 and windows[-1].char_end == len(long_text)
    for a, b in zip(windows, windows[1:]):
        assert b.char_start < a.char_end and long_text[b.char_start - 1] == "\n"
    assert len(rating.items[0].window_distributions) == len(windows)


def test_a_rationale_over_http(http_backend, engagement_request):
    asked = dataclasses.replace(
        engagement_request, items=engagement_request.items[:1],
        options=RatingOptions(rationale=True, decoding=DecodingParams(max_rationale_tokens=8)))
    item = http_backend.rate(asked).items[0]
    assert item.rationale


def test_structured_output_over_http(http_backend):
    schema = {"type": "object", "properties": {"claims": {
        "type": "array", "items": {"type": "string"}, "minItems": 1, "maxItems": 2}},
        "required": ["claims"]}
    result = http_backend.generate_structured(
        instructions="You extract claims from text.",
        prompt=f"List the client's claims as JSON.\n\n{TRANSCRIPT}", schema=schema,
        max_tokens=150)
    jsonschema.validate(result.value, schema)


def test_an_unreachable_server_is_transient(engagement_request):
    backend = HttpBackend(f"http://127.0.0.1:{free_port()}", model="m", timeout_s=5)
    with pytest.raises(LlmTransientError):
        backend.rate(engagement_request)


class _Status(http.server.BaseHTTPRequestHandler):
    status = 200

    def do_POST(self):  # noqa: N802 - http.server's naming
        self.send_response(self.server.status)
        self.send_header("Content-Type", "application/json")
        self.end_headers()
        self.wfile.write(json.dumps({"error": "x"}).encode())

    def log_message(self, *args):
        pass


@pytest.mark.parametrize(("status", "error"), [
    pytest.param(503, LlmTransientError, id="503-busy"),
    pytest.param(429, LlmTransientError, id="429-rate-limited"),
    pytest.param(400, LlmPermanentError, id="400-rejected"),
    pytest.param(404, LlmPermanentError, id="404-wrong-url"),
])
def test_http_errors_are_sorted_into_transient_and_permanent(status, error,
                                                             engagement_request):
    server = http.server.HTTPServer(("127.0.0.1", 0), _Status)
    server.status = status
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        backend = HttpBackend(f"http://127.0.0.1:{server.server_port}", model="m")
        with pytest.raises(error):
            backend.rate(engagement_request)
    finally:
        server.shutdown()
        server.server_close()
