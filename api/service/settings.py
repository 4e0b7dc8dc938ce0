"""The service's settings: environment variables ``SENDPLAN_*`` or a ``.env`` file.

Every limit the service enforces lives here, so an operator changes it in one place::

    SENDPLAN_SECRET_KEY=<at least 32 random characters>   # required, signs bearer tokens
    SENDPLAN_DATABASE_URL=postgresql://user:pass@host/db   # default: a SQLite file
    SENDPLAN_PRODUCTION=true                               # turns /docs and /openapi.json off
    SENDPLAN_CORS_ORIGINS=https://planning.example.gov.uk  # comma-separated; default none
    SENDPLAN_UI_TILES_URL=https://tile.openstreetmap.org/{z}/{x}/{y}.png  # default: no tiles
    SENDPLAN_ROAD_NETWORK=/srv/sendplan/council.network    # default: straight-line travel

:func:`load_settings` refuses a missing, short or placeholder secret with one line saying so,
and a road network file that is missing or not a network built by `sendplan network build`.
"""

from __future__ import annotations

import re
import zipfile
from pathlib import Path
from typing import Annotated, Any

from pydantic import Field, SecretStr, ValidationError, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

MIN_SECRET_CHARS = 32
# Words that mark a secret copied from documentation rather than generated.
PLACEHOLDER_WORDS = ("changeme", "change-me", "change_me", "secret", "placeholder", "example",
                     "password", "default", "xxxxxxxx", "your-")  # fmt: skip


class SettingsError(ValueError):
    """Settings the service must not start with; the message is one line for the operator."""


class Settings(BaseSettings):
    """What `sendplan serve`, its workers and the web app read (env prefix ``SENDPLAN_``)."""

    model_config = SettingsConfigDict(
        env_prefix="SENDPLAN_", env_file=".env", extra="ignore", frozen=True
    )

    database_url: str = "sqlite:///./sendplan-service.db"
    secret_key: SecretStr = Field(description="signs bearer tokens; >= 32 random characters")
    workers: int = Field(2, ge=0, le=512)
    scheduler: str | None = None
    lease_s: float = Field(30.0, gt=0, le=86_400)
    max_attempts: int = Field(2, ge=1, le=100)
    job_timeout_s: float = Field(3600.0, gt=0, le=7 * 86_400)
    retention_days: int = Field(365, ge=1, le=36_500)
    max_children: int = Field(20_000, ge=1)
    max_vehicles: int = Field(5_000, ge=0)
    max_request_bytes: int = Field(20_000_000, ge=1_000)
    production: bool = False
    cors_origins: Annotated[list[str], NoDecode] = []
    token_ttl_s: int = Field(900, ge=60, le=86_400)
    # Basemap tiles under the web UI's maps (empty: none, the plain basemap from our own data);
    # its host is added to the UI's CSP img-src. The tile server learns which areas are viewed
    # (a chosen route's streets): name one the authority trusts with that.
    ui_tiles_url: str = ""
    # A road network file (`sendplan network build`) the planning jobs travel on; None:
    # straight-line travel. Stored absolute: workers elsewhere get the same path.
    road_network: Path | None = None

    @field_validator("cors_origins", mode="before")
    @classmethod
    def _split_origins(cls, value: Any) -> Any:
        # One comma-separated environment variable is easier to write than a JSON list.
        if isinstance(value, str):
            return [part.strip() for part in value.split(",") if part.strip()]
        return value

    @field_validator("cors_origins")
    @classmethod
    def _no_wildcard(cls, value: list[str]) -> list[str]:
        for origin in value:
            if origin == "*" or not origin.startswith(("https://", "http://")):
                raise ValueError(f"{origin!r} is not an origin like https://host (no wildcard)")
        return value

    @field_validator("ui_tiles_url")
    @classmethod
    def _tile_template(cls, value: str) -> str:
        check_tiles_url(value)
        return value

    @field_validator("road_network", mode="before")
    @classmethod
    def _unset_when_empty(cls, value: Any) -> Any:
        # SENDPLAN_ROAD_NETWORK= (a blank line in a .env template) means none, not ".".
        return None if isinstance(value, str) and not value.strip() else value

    @field_validator("road_network")
    @classmethod
    def _loadable_network(cls, value: Path | None) -> Path | None:
        return None if value is None else check_road_network(value)

    @field_validator("secret_key")
    @classmethod
    def _real_secret(cls, value: SecretStr) -> SecretStr:
        check_secret(value.get_secret_value())
        return value


def check_secret(secret: str) -> None:
    """Raise ValueError unless ``secret`` is long and not a documentation placeholder."""
    if len(secret) < MIN_SECRET_CHARS:
        raise ValueError(
            f"must be at least {MIN_SECRET_CHARS} characters (it has {len(secret)}); "
            "generate one with: python -c 'import secrets; print(secrets.token_urlsafe(48))'"
        )
    lowered = secret.lower()
    for word in PLACEHOLDER_WORDS:
        if word in lowered:
            raise ValueError(f"looks like a placeholder (contains {word!r}): generate a real one")
    if len(set(secret)) < 8:
        raise ValueError("has too few distinct characters to be random: generate a real one")


def check_road_network(path: Path) -> Path:
    """``path`` made absolute, after loading it once: raise ValueError (one line) unless it is
    a network file built by `sendplan network build` with a drive profile."""
    # Imported here: numpy and scipy are not needed by a service without a road network.
    from sendplan.errors import InputError
    from sendplan.geo.network import is_map_file, load_network

    absolute = path.expanduser().resolve()
    if is_map_file(absolute):
        # Every job would rebuild the graph from the map: build it once instead.
        raise ValueError(
            f"{absolute.name} is a map file; build a network file from it once with "
            "`sendplan network build --out FILE` and name that file"
        )
    if absolute.is_file():
        _check_network_archive(absolute)
    try:
        load_network(absolute).graph("drive")
    except InputError as err:
        raise ValueError(str(err)) from None
    except OSError as err:
        raise ValueError(f"{absolute.name}: cannot read the file ({err.strerror})") from None
    except Exception:  # a damaged archive (missing arrays, bad compression): one line, no trace
        raise ValueError(
            f"{absolute.name}: not a readable network file; rebuild it with "
            "`sendplan network build`"
        ) from None
    return absolute


def _check_network_archive(path: Path) -> None:
    """Raise ValueError (one line) unless ``path`` is a zip holding ``meta.json``, as every
    built network file is."""
    # Checked before loading: the loader's own refusal also offers a map, which serve refuses.
    try:
        with zipfile.ZipFile(path) as archive:
            if "meta.json" in archive.namelist():
                return
    except (zipfile.BadZipFile, EOFError):
        pass
    except OSError as err:
        raise ValueError(f"{path.name}: cannot read the file ({err.strerror})") from None
    raise ValueError(
        f"{path.name}: not a sendplan network file; build one with "
        "`sendplan network build --out FILE` and name that file"
    )


TILE_PLACEHOLDERS = ("{z}", "{x}", "{y}")
TILE_HOST = re.compile(r"[A-Za-z0-9.-]+(:[0-9]{1,5})?")


def check_tiles_url(url: str) -> None:
    """Raise ValueError unless ``url`` is empty or an http(s) tile template on one host with
    {z}, {x} and {y} and no other braces (it goes into a CSP and an image address)."""
    if not url:
        return
    if not url.startswith(("https://", "http://")):
        raise ValueError("must start with https:// (or http://)")
    rest = url.split("://", 1)[1]
    host = rest.split("/", 1)[0]
    if not TILE_HOST.fullmatch(host) or "/" not in rest:
        raise ValueError("must name one host (letters, digits, dots, a port), then a path")
    path = rest.split("/", 1)[1]
    if any(p not in path for p in TILE_PLACEHOLDERS):
        raise ValueError("must contain {z}, {x} and {y}")
    stripped = path
    for p in TILE_PLACEHOLDERS:
        stripped = stripped.replace(p, "")
    if any(c in "{} ;,'\"" or ord(c) < 33 or ord(c) == 127 for c in stripped):
        raise ValueError("may hold no placeholder but {z}, {x} and {y}, and no spaces or quotes")


def tiles_origin(url: str) -> str:
    """The scheme and host of a tile template (what the UI's CSP img-src names), or ''."""
    if not url:
        return ""
    scheme, rest = url.split("://", 1)
    return f"{scheme}://{rest.split('/', 1)[0]}"


def load_settings(**overrides: Any) -> Settings:
    """Settings from the environment and ``.env``, with ``overrides`` on top; a SettingsError
    with one line naming the setting (never its value) when one is missing or refused."""
    try:
        return Settings(**overrides)
    except ValidationError as err:
        first = err.errors()[0]
        name = ".".join(str(part) for part in first["loc"]) or "settings"
        env = f"SENDPLAN_{name.upper()}"
        message = "is required" if first["type"] == "missing" else first["msg"]
        message = message.removeprefix("Value error, ")
        raise SettingsError(f"setting {env}: {message}") from None
