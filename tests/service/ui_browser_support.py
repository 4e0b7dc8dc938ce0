"""What the map and planner browser tests share (tests/service/test_ui_map_browser.py,
test_ui_planner_browser.py): the app served by uvicorn on a loopback port, scenarios uploaded
and jobs run in this process as a worker would, headless Debian Chromium offline (any request
off the allowed loopback servers is aborted and counted), console errors collected, and
screenshots in test-artifacts/.

Importing this module skips the test module when Chromium is missing, and fails it when env CI
is set."""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import uvicorn
from api_support import Api, finish_job, multipart

from sendplan.api.service.job_kinds import read_outputs, run
from sendplan.api.service.loadtest import free_port
from sendplan.api.service.runner import JobControl, JobStop

CHROMIUM = "/usr/bin/chromium"
ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]  # fmt: skip
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
WAIT_MS = 60_000  # a bound on a hung page, not a timing assertion

if not Path(CHROMIUM).exists():
    if os.environ.get("CI"):
        pytest.fail(f"CI is set and {CHROMIUM} is missing", pytrace=False)
    pytest.skip(f"{CHROMIUM} is missing", allow_module_level=True)

sync_api = pytest.importorskip("playwright.sync_api")
expect = sync_api.expect


@dataclass
class Site:
    base: str
    api: Api
    jobs: dict[str, str] = field(default_factory=dict)  # name -> job id
    scenario: str = ""
    source: Path | None = None  # the scenario's folder, for jobs run in the test's process


@dataclass
class Browser:
    page: Any
    errors: list[str]
    blocked: list[str]


def upload(api: Api, folder: Path) -> str:
    """The scenario files in ``folder`` uploaded; the new scenario's id."""
    files = {p.name: p.read_bytes() for p in sorted(folder.iterdir()) if p.is_file()}
    made = api.client.post("/scenarios", files=multipart(files), headers=api.headers())  # type: ignore[arg-type]
    assert made.status_code == 201, made.text
    return str(made.json()["id"])


def run_job(
    api: Api, job: str, kind: str, params: dict[str, Any], source: Path, work: Path
) -> None:
    """Run a queued job in this process as a worker would; store its files as succeeded."""
    out = work / job
    out.mkdir()
    run(kind, params, source, out, control=JobControl(timeout_s=600),
        stop=lambda n, control: JobStop(n, control))  # fmt: skip
    files = {name: (media, content) for name, media, content in read_outputs(out)}
    finish_job(api, job, files=files)


def solve(api: Api, scenario: str, source: Path, work: Path, kind: str, **params: Any) -> str:
    """A new job of ``kind`` on ``scenario`` run to the end (see :func:`run_job`); its id."""
    job = api.job(scenario, kind=kind, **params)
    run_job(api, job, kind, params, source, work)
    return job


def store_files(api: Api, job: str, out: Path) -> None:
    """Finish ``job`` with the files a solve wrote into ``out`` (any travel model)."""
    files = {name: (media, content) for name, media, content in read_outputs(out)}
    finish_job(api, job, files=files)


@contextmanager
def serving(api: Api) -> Iterator[str]:
    """``api``'s app on a loopback port while in the block; its base URL."""
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(api.client.app, host="127.0.0.1", port=port,
                                           log_level="warning", lifespan="off"))  # fmt: skip
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        assert time.monotonic() < deadline and thread.is_alive(), "uvicorn did not start"
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(10)


@contextmanager
def chromium_browser() -> Iterator[Any]:
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        try:
            yield browser
        finally:
            browser.close()


@contextmanager
def offline_page(chromium: Any, *allowed: str) -> Iterator[Browser]:
    """A fresh page that may reach only the ``allowed`` base URLs; on leaving, asserts that
    nothing else was asked for and that the console logged no error."""
    context = chromium.new_context(viewport={"width": 1440, "height": 1000}, accept_downloads=True,
                                   service_workers="block")  # fmt: skip
    blocked: list[str] = []

    def offline(route: Any) -> None:
        if any(route.request.url.startswith(base + "/") for base in allowed):
            route.continue_()
        else:
            blocked.append(route.request.url)
            route.abort()

    context.route("**/*", offline)
    page = context.new_page()
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.set_default_timeout(WAIT_MS)
    try:
        yield Browser(page, errors, blocked)
    finally:
        context.close()
    assert blocked == [], blocked
    assert errors == [], errors


def sign_in(b: Browser, site: Site, role: str, hash_: str = "") -> None:
    b.page.goto(site.base + "/" + hash_)
    b.page.get_by_label("API key").fill(site.api.key(role)[1])
    b.page.get_by_role("button", name="Sign in").click()
    b.page.wait_for_selector("#who:not([hidden])")
    ready(b)


def ready(b: Browser) -> None:
    b.page.wait_for_selector("body[data-ready=true]")


def api_get(site: Site, path: str, role: str = "admin") -> Any:
    response = site.api.client.get(path, headers=site.api.headers(role))
    assert response.status_code == 200, (path, response.text)
    return response.json() if "json" in response.headers["content-type"] else response.content


def mark_ms(b: Browser, mark: str) -> float:
    """When the page marked ``mark`` (ms after navigation), polled in the page (the CSP
    forbids the eval that wait_for_function needs)."""
    return float(
        b.page.evaluate(
            """(name) => new Promise((done) => { const look = () => {
                   const [mark] = performance.getEntriesByName(name);
                   mark ? done(mark.startTime) : setTimeout(look, 20); }; look(); })""",
            mark,
        )
    )


def shot(b: Browser, name: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    b.page.screenshot(path=str(ARTIFACTS / f"ui-{name}.png"), full_page=True)


# The page's function, without its leading comment (Playwright evaluates it as an expression).
CONTRAST_JS = "\n".join(
    line
    for line in (Path(__file__).parent / "ui_contrast.js").read_text(encoding="utf-8").splitlines()
    if not line.startswith("//")
)


def contrast_ratios(page: Any, selectors: list[str]) -> dict[str, float | None]:
    """WCAG contrast of each selector's first element's text (its colour, or an SVG text's
    fill, with the opacities above it) against the backgrounds behind it; None: no such
    element on the page."""
    return dict(page.evaluate(CONTRAST_JS, selectors))


TAB_LIMIT = 600  # presses before giving up on reaching every control
# An element's name in the Tab walk: tag#id:text.
NAME_JS = '(n) => `${n.tagName.toLowerCase()}#${n.id}:${(n.textContent || "").trim().slice(0, 40)}`'


def tab_through(b: Browser) -> tuple[set[str], list[str]]:
    """Walk the page with the Tab key from its first stop: the visible controls (buttons,
    fields, disclosures, links, tabindex=0) it never reached, and the elements reached that
    showed no focus outline of at least 2 px."""
    reached: set[str] = set()
    unmarked: list[str] = []
    b.page.locator("a.skip").focus()  # the page's first stop
    for press in range(TAB_LIMIT):
        if press:
            b.page.keyboard.press("Tab")
        name, outline = b.page.evaluate(
            f"""() => {{ const n = document.activeElement, s = getComputedStyle(n);
                 return [({NAME_JS})(n),
                         s.outlineStyle !== "none" && parseFloat(s.outlineWidth) >= 2]; }}"""
        )
        if name in reached or name.startswith("body#"):  # round to the start again
            break
        reached.add(name)
        if not outline:
            unmarked.append(name)
    controls = b.page.evaluate(
        f"""() => [...document.querySelectorAll(
             "button, select, input, summary, a[href], [tabindex='0']")]
             .filter((n) => n.checkVisibility())
             .map({NAME_JS})"""
    )
    return set(controls) - reached, unmarked
