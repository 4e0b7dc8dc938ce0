"""Basemap tiles for the web UI's maps (SENDPLAN_UI_TILES_URL): off by default (the map data
says none and the UI's CSP lets images come from this origin only); when set, the template's
host alone joins img-src on the UI's pages (never the API's), and the map data names the
template. A template that is not one http(s) host with {z}, {x} and {y} is refused at start-up."""

from __future__ import annotations

from pathlib import Path

import pytest
from api_support import FAKE_FILES, Api, finish_job, make_api

from sendplan.api.service.db import migrate
from sendplan.api.service.security import API_CSP, UI_CSP, ui_csp
from sendplan.api.service.settings import (
    SettingsError,
    check_tiles_url,
    load_settings,
    tiles_origin,
)

OSM = "https://tile.openstreetmap.org/{z}/{x}/{y}.png"
SECRET = "t3st-" + "Qw9xZr4LmN8vBk2Hj6Fd1Sa7Pc5Ty0Ue"


def _map(api: Api) -> dict[str, object]:
    job = api.job(api.upload(), kind="both")
    finish_job(api, job, files=dict(FAKE_FILES))
    response = api.client.get(f"/jobs/{job}/map", headers=api.headers("transport"))
    assert response.status_code == 200, response.text
    return dict(response.json())


def test_tiles_are_off_by_default(api: Api) -> None:
    assert api.settings.ui_tiles_url == ""
    assert _map(api)["tiles_url"] is None
    assert api.client.get("/").headers["content-security-policy"] == UI_CSP
    assert "img-src 'self';" in UI_CSP


def test_a_tile_server_joins_the_ui_csp_only(tmp_path: Path) -> None:
    db_url = f"sqlite:///{tmp_path / 'service.db'}"
    migrate(db_url)
    api = make_api(db_url, ui_tiles_url=OSM)
    try:
        assert _map(api)["tiles_url"] == OSM
        for path in ("/", "/ui/map.js"):
            csp = api.client.get(path).headers["content-security-policy"]
            assert csp == UI_CSP.replace(
                "img-src 'self'", "img-src 'self' https://tile.openstreetmap.org"
            )
            assert "connect-src 'self';" in csp  # images only: no script or fetch from there
        assert (
            api.client.get("/me", headers=api.headers()).headers["content-security-policy"]
            == API_CSP
        )
    finally:
        api.client.close()


@pytest.mark.parametrize(
    ("url", "origin"),
    [
        ("", ""),
        (OSM, "https://tile.openstreetmap.org"),
        ("http://127.0.0.1:8080/tiles/{z}/{x}/{y}.png", "http://127.0.0.1:8080"),
        ("https://tiles.example.gov.uk/osm/{z}/{y}/{x}", "https://tiles.example.gov.uk"),
    ],
)
def test_accepted_templates_and_their_csp_origin(url: str, origin: str) -> None:
    check_tiles_url(url)
    assert tiles_origin(url) == origin
    assert ui_csp(url) == (
        UI_CSP.replace("img-src 'self'", f"img-src 'self' {origin}") if origin else UI_CSP
    )


@pytest.mark.parametrize(
    "url",
    [
        "tile.openstreetmap.org/{z}/{x}/{y}.png",  # no scheme
        "ftp://tile.openstreetmap.org/{z}/{x}/{y}.png",
        "https://tile.openstreetmap.org/{z}/{x}.png",  # no {y}
        "https://{s}.tile.openstreetmap.org/{z}/{x}/{y}.png",  # a host pattern
        "https://*.example.org/{z}/{x}/{y}.png",
        "https://a.example.org; script-src *; /{z}/{x}/{y}.png",  # a CSP injection
        "https://a.example.org/{z}/{x}/{y}.png?key={key}",  # another placeholder
        "https://a.example.org/{z}/{x}/{y}.png 'unsafe-inline'",
        "https://a.example.org",  # no path
        "https://a.example.org/{z}/{x}/{y}.png\r\nX-Injected: 1",  # a header break
        "https://a.example.org\t/{z}/{x}/{y}.png",
        "https://user@a.example.org/{z}/{x}/{y}.png",
        "https://a.example.org:99999999/{z}/{x}/{y}.png",
    ],
)
def test_refused_templates_name_the_setting(url: str) -> None:
    with pytest.raises(ValueError):
        check_tiles_url(url)
    with pytest.raises(SettingsError, match="SENDPLAN_UI_TILES_URL"):
        load_settings(secret_key=SECRET, ui_tiles_url=url)
