"""No outbound network: the in-process backend works with every socket blocked, and scoring, a
report and the web flow work with every connection off this machine refused."""

import dataclasses
import ipaddress
import json
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


def _loopback(sock, address) -> bool:
    if sock.family == getattr(socket, "AF_UNIX", None):
        return True
    host = address[0] if isinstance(address, tuple) else address
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False  # a host name: resolving it would already be a network call


@pytest.fixture
def outbound_blocked(monkeypatch):
    """Every socket may talk to loopback and unix sockets only (the database, Redis, a local
    model server); any other connection, or a name lookup off this machine, raises."""
    real_connect, real_connect_ex, real_getaddrinfo = socket.socket.connect, socket.socket.connect_ex, socket.getaddrinfo

    def connect(sock, address):
        if not _loopback(sock, address):
            raise NetworkBlocked(f"outbound connection to {address!r}")
        return real_connect(sock, address)

    def connect_ex(sock, address):
        if not _loopback(sock, address):
            raise NetworkBlocked(f"outbound connection to {address!r}")
        return real_connect_ex(sock, address)

    def getaddrinfo(host, *args, **kwargs):
        if host not in (None, "localhost") and not _is_ip(host):
            raise NetworkBlocked(f"name lookup of {host!r}")
        return real_getaddrinfo(host, *args, **kwargs)

    monkeypatch.setattr(socket.socket, "connect", connect)
    monkeypatch.setattr(socket.socket, "connect_ex", connect_ex)
    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    yield


def _is_ip(host) -> bool:
    try:
        ipaddress.ip_address(host if isinstance(host, str) else host.decode())
    except ValueError:
        return False
    return True


def test_the_blocker_refuses_outbound_and_allows_loopback(outbound_blocked):
    with pytest.raises(NetworkBlocked):
        socket.create_connection(("192.0.2.1", 443), timeout=1)  # TEST-NET-1, never routed
    with pytest.raises(NetworkBlocked):
        socket.create_connection(("example.org", 80), timeout=1)
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen(1)
        with socket.create_connection(server.getsockname(), timeout=1):
            pass


@pytest.mark.django_db
def test_scoring_a_report_and_the_web_flow_run_with_outbound_blocked(
        outbound_blocked, engagement, client, django_user_model, django_capture_on_commit_callbacks):
    """Scoring with the bundled model (two targets), the report, and a rater and a manager
    using the web pages: nothing reaches beyond this machine."""
    from ratings.models import Rater, Rating
    from ratings.services import assignments_create, study_get_or_create, targets_import
    from ratings.services.roles import user_grant_role
    from ratings.services.scoring import llm_rater_get_or_create, score_target, scoring_job_start
    from ratings.tabular import read_rows
    from tests.llm.conftest import TRANSCRIPT

    manager = django_user_model.objects.create_user(username="mia", password="pw")
    user_grant_role(user=manager, role="study-managers")
    study, _ = study_get_or_create(slug="offline", created_by=manager)
    rows = [{"id": "S1", "text": TRANSCRIPT}, {"id": "S2", "text": TRANSCRIPT.replace("Monday", "Friday")}]
    targets_import(study=study, rows=read_rows("\n".join(json.dumps(r) for r in rows), "jsonl"), fmt="jsonl")
    with django_capture_on_commit_callbacks(execute=False):
        job = scoring_job_start(study=study, version=engagement, rater=llm_rater_get_or_create(name="llm-offline"))
    backend = get_backend("llama_cpp", n_ctx=2048, n_threads=2)
    for target in study.targets.all():
        score_target(job_id=job.pk, target_id=target.pk, backend=backend)
    assert Rating.objects.filter(scoring_job=job).count() == 2

    rita = django_user_model.objects.create_user(username="rita", password="pw")
    rater = Rater.objects.create(name="rita", kind=Rater.Kind.HUMAN, user=rita)
    assignments_create(rater=rater, targets=study.targets.all(), version=engagement)
    client.force_login(rita)
    assert client.get("/rate/").status_code == 200
    for assignment in rater.assignments.all():
        url = f"/rate/{assignment.pk}/"
        assert client.get(url).status_code == 200
        answers = {f"item-{item.code}": "3" for item in engagement.spec.items}
        assert client.post(url, answers).status_code == 302
    client.force_login(manager)
    assert client.get("/manage/offline/").status_code == 200
    page = client.get("/studies/offline/report/?instrument=therapy-engagement")
    assert page.status_code == 200 and b"llm-offline" in page.content
    report = client.get("/api/v1/studies/offline/report/").json()
    assert report["study"] == "offline" and set(report["llm_vs_human"]["llm"]) == {"llm-offline"}
