"""``whatsapp_deadline_alert``: a ``DeadlineAlert`` whose callback is ``WhatsAppNotifier``.

Writing ``DeadlineAlert(callback=AsyncCallback(WhatsAppNotifier, kwargs={...}))`` by hand
works, but Airflow only builds the notifier when the deadline is missed: a typo in ``to``
or an unknown argument then surfaces hours later, in the triggerer's or executor's log.
This helper builds the notifier once when the DAG file is parsed (so those fail the
import), gives the alert's ``name`` to both Airflow and the message (Airflow 3.3 stores
the name but does not pass it to the callback), and picks the callback class for where
it should run. Cheap to import: Airflow's deadline classes load when it is called.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Literal

from .._errors import WhatsAppValidationError
from ..version_compat import HAS_DEADLINE_ALERT_NAME, HAS_SYNC_DEADLINE_CALLBACK
from .whatsapp import WhatsAppNotifier

if TYPE_CHECKING:
    from collections.abc import Sequence

    from airflow.sdk.definitions.deadline import DeadlineAlert

__all__ = ["whatsapp_deadline_alert"]


def whatsapp_deadline_alert(
    *,
    reference: Any,
    interval: Any,
    to: str | Sequence[str],
    name: str | None = None,
    runs_on: Literal["triggerer", "executor"] = "triggerer",
    executor: str | None = None,
    **notifier_kwargs: Any,
) -> DeadlineAlert:
    """A ``DeadlineAlert`` that sends ``WhatsAppNotifier(to=to, **notifier_kwargs)``.

    :param reference: ``DeadlineReference.DAGRUN_QUEUED_AT`` and the like.
    :param interval: a ``timedelta`` (3.3+: also a ``VariableInterval``).
    :param to: the recipients, as for ``WhatsAppNotifier`` (literal numbers checked now).
    :param name: the alert's name: ``DeadlineAlert(name=...)`` on Airflow 3.3+ (the UI
        shows it), and the first line of the default message on every version.
    :param runs_on: ``"triggerer"`` (``AsyncCallback``, every version) or ``"executor"``
        (``SyncCallback``, Airflow 3.2+; sends synchronously on a worker).
    :param executor: with ``runs_on="executor"``: which executor (None: the default one).
    :param notifier_kwargs: the other ``WhatsAppNotifier`` arguments (``text``,
        ``template_name``, ``whatsapp_conn_id``...), stored by Airflow as they are.
    :raises WhatsAppValidationError: an argument the notifier refuses (a literal number no
        message can reach, ``text`` with ``template_name``), ``runs_on`` unknown, or
        ``"executor"`` before Airflow 3.2.
    :raises TypeError: an argument ``WhatsAppNotifier`` does not take.
    """
    from airflow.sdk.definitions.deadline import AsyncCallback, DeadlineAlert, SyncCallback

    if runs_on not in ("triggerer", "executor"):
        raise WhatsAppValidationError(f"runs_on must be 'triggerer' or 'executor', not {runs_on!r}")
    if runs_on == "executor" and not HAS_SYNC_DEADLINE_CALLBACK:
        raise WhatsAppValidationError(
            "runs_on='executor' needs Airflow 3.2+ (SyncCallback): Airflow 3.1 runs "
            "deadline callbacks only in the triggerer; use runs_on='triggerer'"
        )
    if executor is not None and runs_on != "executor":
        raise WhatsAppValidationError("executor= is for runs_on='executor' only")
    kwargs: dict[str, Any] = {"to": to, **notifier_kwargs}
    if name:
        kwargs["alert_name"] = name
    WhatsAppNotifier(**kwargs)  # what Airflow will build at the miss: refuse it now if it fails
    callback = (
        SyncCallback(WhatsAppNotifier, kwargs=kwargs, executor=executor)
        if runs_on == "executor"
        else AsyncCallback(WhatsAppNotifier, kwargs=kwargs)
    )
    named: dict[str, Any] = {"name": name} if HAS_DEADLINE_ALERT_NAME else {}  # 3.3+
    return DeadlineAlert(reference=reference, interval=interval, callback=callback, **named)
