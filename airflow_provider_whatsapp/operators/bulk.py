"""``WhatsAppBulkSendOperator``: one message or template to many recipients."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from ..version_compat import AirflowFailException
from ._base import WhatsAppBaseOperator

if TYPE_CHECKING:
    from ..bulk import BulkReport, DeliveryRecord
    from ..messages import Message


class VariableDeliveryRecord:
    """Factory of a :class:`~airflow_provider_whatsapp.bulk.DeliveryRecord` kept in an
    Airflow Variable: a retry may run on another worker, and Variables are shared by all."""

    @staticmethod
    def key_for(context: Any) -> str:
        ti = context["ti"]
        map_index = getattr(ti, "map_index", -1)
        run_id = context.get("run_id") or ti.run_id
        return f"whatsapp_bulk__{ti.dag_id}__{run_id}__{ti.task_id}__{map_index}"

    @staticmethod
    def load(key: str) -> DeliveryRecord:
        from airflow.sdk import Variable

        from ..bulk import DeliveryRecord

        class _Stored(DeliveryRecord):
            def save(self, data: str) -> None:
                Variable.set(
                    key, data, description="airflow-provider-whatsapp bulk delivery record"
                )

        return _Stored(Variable.get(key, default=None))


class WhatsAppBulkSendOperator(WhatsAppBaseOperator):
    """Send one message or template to many recipients, fast and exactly once.

    Recipients come from a list (numbers, or dicts with ``to`` and per-recipient
    ``parameters``), an XCom value, or a CSV / JSON / JSON Lines file (streamed; CSV
    columns besides ``to`` become parameters: ``1``, ``2``... positional, other names
    named). Sends run concurrently under the connection's rate limit.

    A record of accepted recipients lives in an Airflow Variable: a retried task skips
    those already accepted, and reports recipients whose earlier send may or may not
    have landed as ``ambiguous`` instead of resending them (``resend_ambiguous=True``
    to resend). The task fails when the share of failed and invalid recipients exceeds
    ``max_failure_ratio``; per-recipient results go to XCom either way.

    :param recipients: list, XCom value, comma-separated string, or file path (templated).
    :param message: a message model or API-shaped dict sent to everyone (``to`` is replaced).
    :param template_name: or: an approved template (with ``language``).
    :param parameters: template parameters for everyone (a recipient's own win).
    :param components: full template components for everyone (instead of parameters).
    :param max_failure_ratio: tolerated share of failed + invalid recipients (0..1).
    :param concurrency: requests in flight at once.
    :param include_results: push per-recipient results to XCom (summary only when False).
    """

    template_fields: Sequence[str] = (
        *WhatsAppBaseOperator.template_fields,
        "recipients",
        "message",
        "template_name",
        "language",
        "parameters",
        "components",
    )

    def __init__(
        self,
        *,
        recipients: Any,
        message: Any = None,
        template_name: str | None = None,
        language: str = "en_US",
        parameters: list[Any] | dict[str, Any] | None = None,
        components: list[dict[str, Any]] | None = None,
        max_failure_ratio: float = 0.0,
        concurrency: int = 16,
        resend_ambiguous: bool = False,
        include_results: bool = True,
        progress_every: float = 5.0,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        if (message is None) == (template_name is None):
            raise ValueError("give exactly one of message or template_name")
        if not 0 <= max_failure_ratio <= 1:
            raise ValueError(f"max_failure_ratio must be within 0..1, got {max_failure_ratio}")
        if concurrency < 1:
            raise ValueError(f"concurrency must be at least 1, got {concurrency}")
        self.recipients = recipients
        self.message = message
        self.template_name = template_name
        self.language = language
        self.parameters = parameters
        self.components = components
        self.max_failure_ratio = max_failure_ratio
        self.concurrency = concurrency
        self.resend_ambiguous = resend_ambiguous
        self.include_results = include_results
        self.progress_every = progress_every

    # -- building ---------------------------------------------------------------------
    def _builder(self) -> Any:
        from ..messages import Message, TemplateMessage, parse_message

        if self.template_name:
            name, language, shared_params, components = (
                self.template_name,
                self.language,
                self.parameters,
                self.components,
            )

            def build_template(to: str, params: Any) -> Message:
                if components is not None and params is None:
                    return TemplateMessage.create(to, name, language, components=components)
                return TemplateMessage.create(
                    to, name, language, parameters=params if params is not None else shared_params
                )

            return build_template
        base = self.message
        if isinstance(base, Message):
            base = base.to_payload()
        elif isinstance(base, str):
            import json

            base = json.loads(base)
        base = dict(base)
        parse_message(
            {**base, "to": base.get("to") or "10000000"}
        )  # bad message: fail before any send

        def build_message(to: str, params: Any) -> Message:
            return parse_message({**base, "to": to})

        return build_message

    def _jobs(self) -> Any:
        from ..bulk import Job
        from ..recipients import iter_recipients

        build = self._builder()
        for index, recipient in enumerate(iter_recipients(self.recipients)):
            yield Job(index, recipient.to, _bind(build, recipient.to, recipient.parameters))

    # -- running ----------------------------------------------------------------------
    def run(self, context: Any) -> dict[str, Any]:
        from ..recipients import count_recipients

        key = VariableDeliveryRecord.key_for(context)
        record = VariableDeliveryRecord.load(key)
        if record.accepted or record.unknown:
            self.log.info(
                "Try %d: %d recipient(s) accepted earlier will be skipped; %d had an unknown outcome",
                record.tries,
                len(record.accepted),
                len(record.unknown),
            )
        jobs = self._jobs()  # validates the message / template shape before any request
        report = asyncio.run(self._send(jobs, record, count_recipients(self.recipients)))
        summary = report.summary()
        self.log.info("Bulk send summary: %s", summary)
        result: dict[str, Any] = {"summary": summary, "delivery_record": key}
        if self.include_results:
            result["results"] = [r.to_dict() for r in report.results]
        self._check(report, context, result)
        return result

    async def _send(self, jobs: Any, record: DeliveryRecord, total: int | None) -> BulkReport:
        from ..bulk import BulkSender

        client = await self.hook.get_async_conn(concurrency=self.concurrency)
        try:
            sender = BulkSender(
                client,
                concurrency=self.concurrency,
                record=record,
                resend_unknown=self.resend_ambiguous,
                progress_every=self.progress_every,
                expected_total=total,
                logger=self.log,
            )
            return await sender.run(jobs)
        finally:
            await client.aclose()

    def _check(self, report: BulkReport, context: Any, result: dict[str, Any]) -> None:
        if report.failure_ratio <= self.max_failure_ratio:
            return
        # Results of this try stay visible even though the task fails.
        context["ti"].xcom_push(key="bulk_result", value=result)
        message = (
            f"{report.counts['failed']} failed and {report.counts['invalid']} invalid of "
            f"{report.total} recipients ({report.failure_ratio:.1%} > max_failure_ratio "
            f"{self.max_failure_ratio:.1%}); see XCom 'bulk_result' for each recipient"
        )
        if report.retryable_failures:
            # A retry resends only to recipients that were not accepted.
            raise RuntimeError(message + f"; {report.retryable_failures} may succeed on retry")
        raise AirflowFailException(message)


def _bind(build: Any, to: str, params: Any) -> Any:
    return lambda: build(to, params)


__all__ = ["VariableDeliveryRecord", "WhatsAppBulkSendOperator"]
