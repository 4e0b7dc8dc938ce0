"""/docs works offline: Swagger UI's files are served by the app itself, nothing from a CDN."""

from __future__ import annotations

import re

from api_support import Api


def test_docs_page_loads_only_its_own_assets(api: Api) -> None:
    page = api.client.get("/docs")
    assert page.status_code == 200
    urls = re.findall(r"""(?:src|href|url)\s*[=:]\s*['"]([^'"]+)['"]""", page.text)
    assert urls, page.text  # the page names the files it loads
    for url in urls:
        assert not re.match(r"(?i)[a-z]+:|//", url), url  # no scheme, no other host
        if url.startswith("/docs/assets/"):
            asset = api.client.get(url)
            assert asset.status_code == 200 and len(asset.content) > 500, url
    csp = page.headers["content-security-policy"]
    assert "http" not in csp and "script-src 'self'" in csp


def test_docs_assets_serve_only_swagger_files(api: Api) -> None:
    for path in ("/docs/assets/../app.py", "/docs/assets/%2e%2e/settings.py", "/docs/assets/"):
        assert api.client.get(path).status_code == 404, path
