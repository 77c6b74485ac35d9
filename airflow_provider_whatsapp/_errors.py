"""The roots of the provider's one error tree, importable from anywhere at no cost.

``WhatsAppError`` (everything the provider raises about input or the API) and
``WhatsAppValidationError`` (input refused before any request, also a ``ValueError``) are
defined here, importing nothing but ``typing``, so the message rules, the template checks,
the operators and the notifier (which DAG files import at every parse) raise them without
loading the client package. Their public home is ``client.errors``, which re-exports them
with the API errors.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, ClassVar

if TYPE_CHECKING:
    from pydantic import ValidationError

__all__ = ["MessageValidationError", "WhatsAppError", "WhatsAppValidationError"]

#: Where users import these from (tracebacks and pickles say it too).
_PUBLIC_MODULE = "airflow_provider_whatsapp.client.errors"


class WhatsAppError(Exception):
    """Base class: anything that went wrong talking to WhatsApp through Maton, or input
    the provider refused before talking to it."""

    retryable: bool = False
    default_hint: ClassVar[str] = ""
    # Not retryable now (the client and a bulk send do not retry it), but a retry much
    # later may succeed (131049: after 24 h). Operators raise such an error as it is, for
    # the task's retry_policy to schedule that retry, when the policy has a rule for it;
    # without one it fails the task at once like any error a retry cannot fix.
    retry_later: ClassVar[bool] = False
    # Set on the classes whose every error the whole account would get (see account_level).
    _account_wide: ClassVar[bool] = False

    def __init__(
        self,
        message: str,
        *,
        status: int | None = None,
        code: int | None = None,
        error_subcode: int | None = None,
        fbtrace_id: str | None = None,
        details: str | None = None,
        hint: str | None = None,
        retryable: bool | None = None,
        retry_after: float | None = None,
    ) -> None:
        self.message = message
        self.status = status
        self.code = code
        self.error_subcode = error_subcode
        self.fbtrace_id = fbtrace_id
        self.details = details
        self.hint = hint if hint is not None else self.default_hint
        if retryable is not None:
            self.retryable = retryable
        self.retry_after = retry_after
        super().__init__(str(self))

    def __str__(self) -> str:
        where = []
        if self.status is not None:
            where.append(f"HTTP {self.status}")
        if self.code is not None:
            where.append(
                f"code {self.code}" + (f"/{self.error_subcode}" if self.error_subcode else "")
            )
        text = f"[{', '.join(where)}] {self.message}" if where else self.message
        if self.details and self.details not in text:
            text += f" ({self.details})"
        if self.hint:
            text += f". {self.hint}"
        if self.fbtrace_id:
            text += f" [fbtrace_id {self.fbtrace_id}]"
        return text

    @property
    def account_level(self) -> bool:
        """Whether no other request with this key and account can succeed now, so a bulk
        send stops instead of failing every remaining recipient one by one.

        A revoked key (401), an invalid or expired WhatsApp token (Graph 0, 190), no
        Maton connection (400 "Missing app connection", or 412: a connection the gateway
        could not resolve), a blocked, locked or spam-limited account (368, 131031,
        131048); and a 500 without Graph's error object: Maton's own answer when the
        WhatsApp authorisation behind the connection has expired. That 500 is also retried, so it reaches a bulk sender only once the
        transport's retries gave up on it. Recipient-level errors (131026, 131047...)
        are not.
        """
        return self._account_wide or (self.status == 500 and self.code is None)

    def to_dict(self) -> dict[str, Any]:
        """A small JSON-safe summary (for XCom and per-recipient reports)."""
        return {
            "error": type(self).__name__,
            "status": self.status,
            "code": self.code,
            "message": self.message,
            "retryable": self.retryable,
        }


class WhatsAppValidationError(WhatsAppError, ValueError):
    """Input the provider refuses before sending anything: a phone number, a media file,
    a template definition or its parameters, a message's fields.

    The text names the field, the rule and the value given. Also a ``ValueError``, so
    ``except ValueError`` written before these were ``WhatsAppError`` still catches them.
    Never retryable: the same input fails the same way.
    """


class MessageValidationError(WhatsAppValidationError):
    """A message the models refuse (built with ``create()``, ``parse_message()``, the
    constructor or ``model_validate()``, or assigned to): pydantic's ``ValidationError``
    as a ``WhatsAppError``.

    The text is pydantic's (each field path, the rule broken; not the value, which may
    be a recipient's number: the models hide it, a phone error masks it); the
    pydantic error is ``__cause__`` and ``validation_error``; ``errors()`` and ``title``
    are its own, so code written for pydantic's error reads this one the same way.
    """

    def __init__(self, error: ValidationError | str) -> None:
        self.validation_error = error
        super().__init__(str(error))

    @property
    def title(self) -> str:
        """The model that refused the input (pydantic's ``title``: ``TextMessage``...)."""
        return "" if isinstance(self.validation_error, str) else self.validation_error.title

    def errors(self, **options: Any) -> list[Any]:
        """pydantic's ``errors()``: one dict per problem (``loc``, ``msg``, ``type``...)."""
        if isinstance(self.validation_error, str):  # made from a text: no pydantic error
            return [{"loc": (), "msg": self.validation_error, "type": "value_error"}]
        return list(self.validation_error.errors(**options))


for _class in (WhatsAppError, WhatsAppValidationError, MessageValidationError):
    _class.__module__ = _PUBLIC_MODULE
del _class
