"""Client settings: everything the HTTP layer needs, and nothing from Airflow."""

from __future__ import annotations

import hashlib
import ipaddress
import logging
from dataclasses import dataclass, field, replace
from functools import cached_property
from typing import Any
from urllib.parse import urlsplit

from .._defaults import DEFAULT_API_VERSION as DEFAULT_API_VERSION
from .._defaults import DEFAULT_GATEWAY_URL as DEFAULT_GATEWAY_URL
from .._defaults import SPLIT_CTRL_URL as SPLIT_CTRL_URL
from .._defaults import SPLIT_GATEWAY_URL as SPLIT_GATEWAY_URL
from .errors import WhatsAppConfigError

log = logging.getLogger(__name__)

GATEWAY_APP = "whatsapp-business"
#: Share of ``rate_limit`` a bulk send takes by default: the rest stays free for alerts
#: and single sends on the same account, from this process or any other.
DEFAULT_BULK_RATE_SHARE = 0.8


def check_rate_share(value: object, name: str = "bulk_rate_share") -> float:
    """``value`` as a share in (0, 1], or a ``ValueError`` naming ``name``."""
    try:
        share = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        raise ValueError(f"{name} must be a number in (0, 1], e.g. 0.8, got {value!r}") from None
    if not 0 < share <= 1:
        raise ValueError(
            f"{name} must be in (0, 1] (the share of rate_limit a bulk send may use), got {value!r}"
        )
    return share


def _check_url(name: str, value: str) -> str:
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ValueError(
            f"{name} must be an http(s) URL such as {DEFAULT_GATEWAY_URL}, got {value!r}"
        )
    return value.rstrip("/")


_DEFAULT_PORTS = {"http": 80, "https": 443}


def is_loopback_host(name: str | None) -> bool:
    """Whether ``name`` is a loopback host by its letters alone: ``localhost`` (also
    ``localhost.``), an IPv4 address in 127.0.0.0/8 or ``::1`` (brackets allowed).

    Never resolved through DNS: a name that merely resolves to 127.0.0.1 today is not
    trusted to stay on the machine tomorrow.
    """
    if not name:
        return False
    name = name.strip().lower().removeprefix("[").removesuffix("]")
    if name in ("localhost", "localhost."):
        return True
    try:
        address = ipaddress.ip_address(name)
    except ValueError:
        return False
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped  # ::ffff:127.0.0.1
    return address.is_loopback


def without_credentials(url: str) -> str:
    """``url`` fit for an error text: scheme, host, port and path, never a
    ``user:password@`` part, a query or a fragment (either may hold a secret)."""
    parts = urlsplit(url)
    host = parts.netloc.rpartition("@")[2]
    return f"{parts.scheme}://{host}{parts.path}" if parts.scheme else host + parts.path


def is_plain_http(url: str) -> bool:
    """Whether the key would cross the network in clear text to ``url``: plain http to a
    host that is not loopback (:func:`is_loopback_host`)."""
    parts = urlsplit(url)
    return parts.scheme.lower() == "http" and not is_loopback_host(parts.hostname)


def check_secure_url(field: str, url: str, *, allowed: bool, switch: str, where: str = "") -> None:
    """Refuse plain http to a non-loopback ``url`` unless ``allowed``.

    ``field`` names the setting in the user's terms (``host``, ``extra 'ctrl_host'``,
    ``base_url``), ``switch`` how to allow http (an extra, an argument), ``where`` what
    holds it (``"connection 'x': "``), put before the error's text. Raises a
    :class:`WhatsAppConfigError` before any request is built; allowed, it logs a warning.
    """
    if not is_plain_http(url):
        return
    shown = without_credentials(url)
    if allowed:
        _warn_insecure(f"{where}{field}", shown)
        return
    secure = "https" + shown[len("http") :]
    raise WhatsAppConfigError(
        f"{where}{field} {shown!r} is plain http: the Maton key would cross the network in clear "
        "text on every request",
        hint=(
            f"Use https ({secure!r}); only a loopback host (localhost, 127.0.0.1, ::1) may "
            f"use http. If a trusted proxy on your network really speaks http, set {switch} "
            "(unsafe: anyone on the way can read the key)"
        ),
    )


_WARNED: set[str] = set()


def _warn_insecure(field: str, shown: str) -> None:
    """One warning per URL in a process: the hook's check (in the connection's terms)
    and the config's, or a config copied for a bulk send or a test call, do not repeat it."""
    if shown in _WARNED:
        return
    _WARNED.add(shown)
    log.warning(
        "%s %r is plain http, allowed by allow_insecure_http: the Maton key crosses the "
        "network in clear text on every request (unsafe; use https)",
        field,
        shown,
    )


def _host(url: str) -> str:
    """``url``'s host as :attr:`ClientConfig.trusted_hosts` holds it, or ``""``.

    Compared on the parsed host, never on the text: ``https://gateway.maton.ai@evil.example``
    is ``evil.example``, ``https://GATEWAY.maton.ai:443`` is ``gateway.maton.ai``.
    """
    parts = urlsplit(url)
    host = (parts.hostname or "").lower()
    try:
        port = parts.port
    except ValueError:  # a port that is not a number: no host the key may go to
        return ""
    if ":" in host:  # IPv6
        host = f"[{host}]"
    if port is None or port == _DEFAULT_PORTS.get(parts.scheme.lower()):
        return host
    return f"{host}:{port}"


def default_ctrl_url(base_url: str) -> str:
    """Where connection management goes when no ctrl URL is set: the gateway's own URL
    (Maton serves ``/connections`` beside the gateway on ``api.maton.ai``, and a proxy
    or the emulator does the same), except for the older split's gateway host
    ``gateway.maton.ai``, whose partner is ``ctrl.maton.ai``.

    Compared on the parsed host: ``gateway.maton.ai.evil.example`` keeps its own URL, so
    the key still goes to no host but the configured one.
    """
    host = (urlsplit(base_url).hostname or "").lower()
    if host == urlsplit(SPLIT_GATEWAY_URL).hostname:
        return SPLIT_CTRL_URL
    return base_url.rstrip("/")


@dataclass(frozen=True)
class ClientConfig:
    """Settings of one Maton account.

    ``api_key`` is kept out of ``repr`` so a logged config never shows it. An empty
    ``ctrl_url`` means ``default_ctrl_url(base_url)``.
    ``rate_limit`` is requests per second per key (Maton allows 10); ``max_retries``
    counts retries after the first attempt (0 = none); ``retry_budget`` (seconds, None =
    unbounded) caps the total wait between attempts of one call, ``Retry-After`` included:
    no retry starts whose wait would pass it. ``bulk_rate_share`` is the share of
    ``rate_limit`` a bulk send uses (:meth:`for_bulk`).

    The key never travels in clear: a plain-http ``base_url`` or ``ctrl_url`` is refused
    (a :class:`WhatsAppConfigError` naming it) unless its host is loopback (the emulator,
    a local proxy) or ``allow_insecure_http`` is set, which is unsafe and logged.
    """

    api_key: str = field(repr=False)
    base_url: str = DEFAULT_GATEWAY_URL
    ctrl_url: str = ""
    maton_connection: str | None = None
    phone_number_id: str | None = None
    waba_id: str | None = None
    api_version: str = DEFAULT_API_VERSION
    timeout: float = 30.0
    rate_limit: float | None = 10.0
    max_retries: int = 5
    max_retry_after: float = 60.0
    backoff_base: float = 0.5
    backoff_max: float = 30.0
    retry_ambiguous: bool = False
    retry_budget: float | None = None
    bulk_rate_share: float = DEFAULT_BULK_RATE_SHARE
    allow_insecure_http: bool = False

    def __post_init__(self) -> None:
        if not self.api_key or not self.api_key.strip():
            raise ValueError("api_key is empty: give the Maton API key")
        object.__setattr__(self, "base_url", _check_url("base_url", self.base_url))
        ctrl_url = self.ctrl_url.strip() or default_ctrl_url(self.base_url)
        object.__setattr__(self, "ctrl_url", _check_url("ctrl_url", ctrl_url))
        if not isinstance(self.allow_insecure_http, bool):
            raise ValueError(
                f"allow_insecure_http must be True or False, got {self.allow_insecure_http!r}"
            )
        for name in ("base_url", "ctrl_url"):
            check_secure_url(
                name,
                getattr(self, name),
                allowed=self.allow_insecure_http,
                switch="allow_insecure_http=True",
            )
        if not self.api_version.startswith("v"):
            raise ValueError(
                f"api_version looks like {DEFAULT_API_VERSION!r}, got {self.api_version!r}"
            )
        if self.timeout <= 0:
            raise ValueError(f"timeout must be positive seconds, got {self.timeout}")
        if self.rate_limit is not None and self.rate_limit <= 0:
            raise ValueError(
                f"rate_limit must be positive requests/second or None, got {self.rate_limit}"
            )
        if self.max_retries < 0:
            raise ValueError(f"max_retries must be >= 0, got {self.max_retries}")
        if self.retry_budget is not None and self.retry_budget < 0:
            raise ValueError(f"retry_budget must be >= 0 seconds or None, got {self.retry_budget}")
        object.__setattr__(self, "bulk_rate_share", check_rate_share(self.bulk_rate_share))

    @property
    def gateway_prefix(self) -> str:
        """Base of every Graph call: the gateway routes by the app name in the path."""
        return f"{self.base_url}/{GATEWAY_APP}/{self.api_version}"

    @property
    def account_key(self) -> str:
        """A stable, non-secret id of the account (for sharing one rate limiter)."""
        digest = hashlib.sha256(self.api_key.encode()).hexdigest()[:16]
        return f"{self.base_url}#{digest}"

    @cached_property
    def trusted_hosts(self) -> frozenset[str]:
        """The only hosts the Maton key is sent to: the gateway's and the ctrl host's.

        Lower-case ``host`` or ``host:port`` (default ports left out). The transport asks
        :meth:`trusts` for every request before it adds the ``Authorization`` header, so
        a URL from an answer (Meta's media CDN) never gets the key.
        """
        return frozenset(host for _, host in self._trusted_origins)

    @cached_property
    def _trusted_origins(self) -> frozenset[tuple[str, str]]:
        """(scheme, host) of the gateway and the ctrl host: http only where configured."""
        return frozenset(
            (urlsplit(url).scheme.lower(), _host(url)) for url in (self.base_url, self.ctrl_url)
        )

    def trusts(self, url: str) -> bool:
        """Whether a request to ``url`` may carry the key: its host is a trusted one, by
        the scheme configured for it (``http://`` to an https gateway's host, a URL an
        answer may hold, would carry the key in clear)."""
        host = _host(url)
        scheme = urlsplit(url).scheme.lower()
        return bool(host) and (scheme, host) in self._trusted_origins

    def for_bulk(self, share: float | None = None) -> ClientConfig:
        """This config with ``rate_limit`` cut to ``share`` (default ``bulk_rate_share``)."""
        share = self.bulk_rate_share if share is None else check_rate_share(share, "rate_share")
        if self.rate_limit is None:
            return self
        return replace(self, rate_limit=self.rate_limit * share)

    def with_changes(self, **changes: Any) -> ClientConfig:
        """A copy with ``changes`` applied and checked again (the config itself is frozen)."""
        return replace(self, **changes)
