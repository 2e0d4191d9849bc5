"""Settings read from KB_* environment variables, with safe defaults."""

from __future__ import annotations

import ipaddress
import os
import secrets
from dataclasses import dataclass, replace
from pathlib import Path

from kb.errors import ConfigurationError

PROJECT_ROOT = Path(__file__).resolve().parent.parent


@dataclass(frozen=True)
class Settings:
    """Everything configurable about one knowledge base instance."""

    database_url: str
    index_dir: Path
    content_dir: Path
    instance_dir: Path
    secret_key: str
    embedding_model: str = "multilingual-e5-small"
    # A second, English model beside e5 for questions asked in another language: their English sentence is also
    # searched with it among the English articles (see kb/search.py). "auto": all-MiniLM-L6-v2 when the main
    # model is e5 and its package is installed; "off": none; or any embedder name or folder.
    companion_model: str = "auto"
    companion_questions: bool = False  # the companion reads questions asked in English too (hybrid mode)
    # Every section's lines are embedded too, and each sentence of a question is matched with its best line
    # (kb/section_lines.py): +1.1 nDCG@10 points on orsharc, for more embedding work in a first build (README).
    section_lines: bool = True
    cache_dir: Path | None = None
    max_body_bytes: int = 256 * 1024
    review_interval_days: int = 180  # a passed review date, once acted on, moves this far on
    max_request_bytes: int = 1024 * 1024
    auto_import: bool = True
    rate_limit: str = "600 per minute"
    ratelimit_storage_uri: str = "memory://"
    trusted_user_header: str = ""  # e.g. X-Remote-User behind an authenticating proxy; empty: off
    # Where that header is believed from: the addresses of the proxy itself, as the app sees them connect.
    trusted_proxies: tuple[str, ...] = ("127.0.0.1/8", "::1/128")
    proxy_hops: int = 0  # reverse proxies in front of the app whose X-Forwarded-* headers are trusted
    secure_cookies: bool = True
    login_max_failures: int = 5
    login_lockout_minutes: int = 15
    query_log_enabled: bool = True
    query_log_retention_days: int = 90
    # A database server that is down at start (a restart, a blip while a worker respawns): keep trying this
    # long before giving up, so a gunicorn worker waits (its timeout respawns it) instead of failing to boot,
    # which would stop every worker.
    database_wait_seconds: int = 30
    # Bilingual dictionaries into English (FreeDict, dictd format) for questions in other languages;
    # None: no query translation. load_settings() looks where Debian's dict-freedict-* packages put them.
    dictionary_dir: Path | None = None
    # Where `python -m kb lemmas` keeps the dictionary forms of inflected words (kb/lemmas.py); None: stems only.
    lemma_dir: Path | None = None

    def with_overrides(self, **changes: object) -> Settings:
        """A copy with some fields replaced (tests, eval workspaces)."""
        return replace(self, **changes)  # type: ignore[arg-type]

    @property
    def embedding_cache_path(self) -> Path:
        """Where embeddings are cached by content hash (shared by every index build)."""
        return (self.cache_dir or self.index_dir) / "embedding-cache.sqlite"


def _env_path(name: str, default: Path) -> Path:
    value = os.environ.get(name)
    return Path(value).expanduser().resolve() if value else default


def _env_int(name: str, default: int) -> int:
    value = os.environ.get(name, "").strip()
    if not value:
        return default
    try:
        number = int(value)
    except ValueError:
        raise ConfigurationError(f"{name} must be a whole number, not {value!r}") from None
    if number < 0:
        raise ConfigurationError(f"{name} must not be negative, not {value!r}")
    return number


def _env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def load_secret_key(instance_dir: Path) -> str:
    """Return KB_SECRET_KEY, or a key generated once into the instance folder."""
    configured = os.environ.get("KB_SECRET_KEY")
    if configured:
        return configured
    key_file = instance_dir / "secret_key"
    if key_file.exists():
        return key_file.read_text().strip()
    instance_dir.mkdir(parents=True, exist_ok=True)
    # Write aside, then link into place: a second worker either wins the link or reads a complete key.
    tmp = instance_dir / f".secret_key.{os.getpid()}"
    tmp.write_text(secrets.token_hex(32))
    os.chmod(tmp, 0o600)
    try:
        os.link(tmp, key_file)
    except FileExistsError:
        pass
    finally:
        tmp.unlink(missing_ok=True)
    return key_file.read_text().strip()


def load_settings() -> Settings:
    """Build Settings from the environment."""
    instance_dir = _env_path("KB_INSTANCE_DIR", PROJECT_ROOT / "instance")
    default_db = f"sqlite:///{instance_dir / 'kb.sqlite'}"
    cache = os.environ.get("KB_CACHE_DIR")
    cache_dir = Path(cache).expanduser().resolve() if cache else None
    index_dir = _env_path("KB_INDEX_DIR", PROJECT_ROOT / "index")
    return Settings(
        database_url=os.environ.get("KB_DATABASE_URL", default_db),
        index_dir=index_dir,
        content_dir=_env_path("KB_CONTENT_DIR", PROJECT_ROOT / "content"),
        instance_dir=instance_dir,
        secret_key=load_secret_key(instance_dir),
        embedding_model=os.environ.get("KB_EMBEDDING_MODEL", "multilingual-e5-small"),
        companion_model=os.environ.get("KB_COMPANION_MODEL", "auto").strip() or "auto",
        companion_questions=_env_bool("KB_COMPANION_QUESTIONS", False),
        section_lines=_env_bool("KB_SECTION_LINES", True),
        cache_dir=cache_dir,
        max_body_bytes=_env_int("KB_MAX_BODY_BYTES", 256 * 1024),
        review_interval_days=_env_int("KB_REVIEW_INTERVAL_DAYS", 180),
        max_request_bytes=_env_int("KB_MAX_REQUEST_BYTES", 1024 * 1024),
        auto_import=_env_bool("KB_AUTO_IMPORT", True),
        rate_limit=os.environ.get("KB_RATE_LIMIT", "600 per minute"),
        ratelimit_storage_uri=os.environ.get("KB_RATELIMIT_STORAGE_URI", "memory://"),
        trusted_user_header=os.environ.get("KB_TRUSTED_USER_HEADER", "").strip(),
        trusted_proxies=_trusted_proxies(),
        proxy_hops=_env_int("KB_PROXY_HOPS", 0),
        secure_cookies=_env_bool("KB_SECURE_COOKIES", True),
        login_max_failures=_env_int("KB_LOGIN_MAX_FAILURES", 5),
        login_lockout_minutes=_env_int("KB_LOGIN_LOCKOUT_MINUTES", 15),
        query_log_enabled=_env_bool("KB_QUERY_LOG", True),
        query_log_retention_days=_env_int("KB_QUERY_LOG_RETENTION_DAYS", 90),
        database_wait_seconds=_env_int("KB_DATABASE_WAIT_SECONDS", 30),
        dictionary_dir=_dictionary_dir(),
        lemma_dir=(cache_dir or index_dir) / "lemmas",  # fixed here: eval workspaces move index_dir
    )


def _trusted_proxies() -> tuple[str, ...]:
    """KB_TRUSTED_PROXIES: comma-separated addresses or networks (loopback when unset); a typo stops the start."""
    value = os.environ.get("KB_TRUSTED_PROXIES")
    if value is None:
        return Settings.trusted_proxies
    networks = []
    for item in filter(None, (part.strip() for part in value.split(","))):
        try:
            networks.append(str(ipaddress.ip_network(item, strict=False)))
        except ValueError:
            raise ConfigurationError(f"KB_TRUSTED_PROXIES: {item!r} is not an IP address or network") from None
    return tuple(networks)


def _dictionary_dir() -> Path | None:
    """KB_DICTIONARY_DIR, Debian's /usr/share/dictd when unset, or None when set empty or to "off"."""
    value = os.environ.get("KB_DICTIONARY_DIR")
    if value is None:
        return Path("/usr/share/dictd")
    return None if value.strip().lower() in {"", "off", "0", "none"} else Path(value).expanduser().resolve()
