"""Browser tests: Debian's chromium driven by Playwright (no browser download)."""

import os
import shutil
from pathlib import Path

import pytest
from django.conf import settings

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
# Playwright's sync API keeps an event loop in this thread; the ORM calls the tests make
# between browser steps are still synchronous, so Django's async guard does not apply.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


@pytest.fixture(scope="session")
def browser():
    from playwright.sync_api import sync_playwright

    if not Path(CHROMIUM).exists():
        pytest.fail("chromium is not installed: `apt-get install chromium` (.ci/run does it)")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM,
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                  "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic"],
        )
        yield browser
        browser.close()


def broker_connections_reset(app) -> None:
    """Forget the app's broker connections, so the next message goes to the broker now in
    ``app.conf``. Both pools must go: ``app.amqp`` keeps the producer pool it made for the first
    message of the process (bound to that broker), and resetting ``app._pool`` alone leaves it."""
    from kombu import pools

    # kombu keeps one pool per broker URL in a registry of its own: closing the app's pool
    # without clearing the registry hands the next user the closed pool ("Acquire on closed pool").
    pools.reset()
    app._pool = None
    app.amqp._producer_pool = None


@pytest.fixture
def celery_worker_in_process():
    """A real Celery worker in a thread of this process, on kombu's in-memory broker: the
    live server's request thread enqueues the job's tasks, the worker scores them, the page
    polls. The app's broker is restored afterwards.

    The web side must publish to the same in-memory broker: after any earlier test of the run
    has sent a message (on the configured filesystem broker), the app's cached producer pool
    would keep sending there and the worker would wait forever (CI, issue 18), so the
    connections are reset and the fixture checks where a message goes before it yields."""
    from celery.contrib.testing.worker import start_worker

    from config.celery import app

    saved = {key: app.conf[key] for key in ("broker_url", "result_backend", "broker_transport_options")}
    app.conf.update(broker_url="memory://", result_backend="cache+memory://", broker_transport_options={})
    broker_connections_reset(app)
    try:
        with app.producer_or_acquire() as producer:
            transport = producer.connection.transport_cls
        assert transport == "memory", f"the web side would publish to {transport!r}, not the worker's broker"
        with start_worker(app, pool="solo", concurrency=1, perform_ping_check=False, queues=["default", "llm"],
                          shutdown_timeout=60):
            yield
    finally:
        app.conf.update(saved)
        broker_connections_reset(app)


LAPTOP = {"width": 1366, "height": 768}
PHONE = {"width": 390, "height": 844}
SERIOUS = ("serious", "critical")


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport=LAPTOP)
    page = context.new_page()
    yield page
    context.close()


@pytest.fixture
def screenshot(page):
    folder = Path(settings.VAR_DIR) / "screenshots"
    folder.mkdir(parents=True, exist_ok=True)
    return lambda name: page.screenshot(path=str(folder / f"{name}.png"), full_page=False)


@pytest.fixture(scope="session")
def axe():
    from axe_playwright_python.sync_playwright import Axe

    return Axe()  # axe-core is bundled in the package: nothing is downloaded


@pytest.fixture
def axe_check(axe):
    """``axe_check(page, name)``: run axe-core in the page and fail on any serious or critical
    violation, naming the rule, its help text and the offending elements."""
    checked = []

    def check(page, name: str) -> None:
        results = axe.run(page)
        bad = [v for v in results.response["violations"] if v.get("impact") in SERIOUS]
        checked.append(name)
        assert not bad, f"axe on {name} ({page.url}):\n" + "\n".join(
            f"- {v['id']} ({v['impact']}): {v['help']}: " + "; ".join(n["target"][0] if isinstance(n["target"][0], str)
                                                                   else str(n["target"]) for n in v["nodes"][:5])
            for v in bad)

    check.pages = checked
    return check


@pytest.fixture
def screenshots(settings):
    """``screenshots(page, name)``: var/screenshots/NAME-1366.png and NAME-390.png (laptop, phone)."""
    folder = Path(settings.VAR_DIR) / "screenshots"
    folder.mkdir(parents=True, exist_ok=True)

    def take(page, name: str, *, full_page: bool = False) -> None:
        size = page.viewport_size
        for width, viewport in (("1366", LAPTOP), ("390", PHONE)):
            page.set_viewport_size(viewport)
            page.wait_for_timeout(150)  # let the layout settle at the new width
            page.screenshot(path=str(folder / f"{name}-{width}.png"), full_page=full_page)
        page.set_viewport_size(size)

    return take
