"""The package installs as one `sendplan` namespace that no dependency shadows."""

from __future__ import annotations

import importlib
from importlib import metadata

import pytest

OUR_PACKAGES = ("sendplan.routing", "sendplan.geo", "sendplan.api", "sendplan.data")


def test_top_level_name_is_ours_alone() -> None:
    owners = metadata.packages_distributions().get("sendplan", [])
    assert owners and set(owners) == {"sendplan"}, owners


@pytest.mark.parametrize("name", OUR_PACKAGES)
def test_subpackages_import_from_this_project(name: str) -> None:
    module = importlib.import_module(name)
    folder = name.split(".")[1]
    assert module.__file__ is not None
    # Editable installs map to the repository folder; regular installs to site-packages/sendplan/.
    assert module.__file__.replace("\\", "/").endswith(
        (f"/{folder}/__init__.py", f"/sendplan/{folder}/__init__.py")
    )


def test_no_dependency_provides_our_folder_names_as_sendplan() -> None:
    # A dependency shipping a top-level `routing`, `geo`, `api` or `data` cannot shadow us, because
    # ours live under `sendplan.`; but nothing else may claim the `sendplan` namespace itself.
    for dist in metadata.distributions():
        name = dist.metadata["Name"]
        if name is None or name.lower() == "sendplan":
            continue
        top = (dist.read_text("top_level.txt") or "").split()
        assert "sendplan" not in top, name


def test_console_script_is_registered() -> None:
    scripts = {ep.name: ep.value for ep in metadata.entry_points(group="console_scripts")}
    assert scripts.get("sendplan") == "sendplan.api.cli:main"
