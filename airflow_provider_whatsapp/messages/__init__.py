"""Message models: one per WhatsApp message type, each carrying the API's limits.

Build a message with a model's ``create(...)`` (or ``media_message``), or validate a dict
in the API's JSON shape with ``parse_message``; ``message.to_payload()`` is the exact
request body. Invalid input raises ``MessageValidationError`` (a ``WhatsAppError`` and a
``ValueError``, pydantic's error chained) naming the field and the limit. No Airflow here:
the HTTP client uses these too.

Each name is listed once, in the ``__all__`` of the module that defines it; this package
exports them all, importing a module on first use of one of its names (a DAG file that
needs ``TextMessage`` does not pay for every model). ``media_files`` (the rules for the
files a media message carries) is a module of its own, not re-exported.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .base import *  # noqa: F403
    from .basic import *  # noqa: F403
    from .contacts import *  # noqa: F403
    from .interactive import *  # noqa: F403
    from .media_messages import *  # noqa: F403
    from .parse import *  # noqa: F403
    from .phone import *  # noqa: F403
    from .template import *  # noqa: F403

#: The modules whose ``__all__`` this package exports, searched in this order: the cheap
#: ones first, so ``parse_message`` or ``normalize_phone`` load no model module.
_MODULES = (
    "phone",
    "parse",
    "base",
    "basic",
    "media_messages",
    "interactive",
    "contacts",
    "template",
)


def _exports() -> dict[str, str]:
    return {
        name: module_name
        for module_name in _MODULES
        for name in importlib.import_module(f".{module_name}", __name__).__all__
    }


def __getattr__(name: str) -> Any:
    if name == "__all__":
        value: Any = sorted(_exports())
    else:
        for module_name in _MODULES:
            module = importlib.import_module(f".{module_name}", __name__)
            if name in module.__all__:
                value = getattr(module, name)
                break
        else:
            raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *_exports()})
