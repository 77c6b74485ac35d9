"""``WhatsAppBulkSendOperator``: one message or template to many recipients."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterator, Sequence
from typing import TYPE_CHECKING, Any, NoReturn

from airflow.sdk import BaseOperator

from .._airflow import fail_with_result
from .._errors import WhatsAppValidationError
from ..bulk.storage import VariableStore, delete_delivery_record, record_key
from ..hooks import DEFAULT_CONN_ID
from ._base import WhatsAppBaseOperator

if TYPE_CHECKING:
    from ..bulk.preflight import AccountLimits
    from ..bulk.record import DeliveryRecord
    from ..bulk.results import ResultsFile
    from ..bulk.sender import BulkReport, Job
    from ..messages import Message


def account_pool(whatsapp_conn_id: str) -> str | None:
    """The Airflow pool a bulk send through ``whatsapp_conn_id`` runs in unless told
    otherwise: one per connection, named like it (``whatsapp_default``).

    Maton limits each account, not each task: bulk tasks that send at once through one
    account (mapped, or from several DAGs, on several workers) each take their full share
    and make the gateway answer 429, unfairly and at alerts too. A pool of one slot makes
    them take turns, each at the full share, with the rest of the rate free for alerts.
    ``None`` (Airflow's ``default_pool``) for a templated connection id, known only at
    run time."""
    return None if "{{" in whatsapp_conn_id else whatsapp_conn_id


class WhatsAppDeleteDeliveryRecordOperator(BaseOperator):
    """Delete the delivery records bulk-send task instances keep in Variables (docs: Running
    in production, the delivery record): every record on Airflow 3.1 and 3.2, those left from before an upgrade on
    3.3+. On 3.3+ a bulk task keeps its record in its own task state store, which no other
    task can reach: it goes with its DAG run, or by retention once the send succeeded.

    :param bulk_task_ids: the bulk task id(s) whose records go (templated).
    :param bulk_run_id: their DAG run (templated; default this run).
    :param bulk_dag_id: their DAG (templated; default this DAG).
    :param map_indexes: map indexes of a mapped bulk task (default ``[-1]``: unmapped).
    """

    template_fields: Sequence[str] = ("bulk_task_ids", "bulk_run_id", "bulk_dag_id", "map_indexes")

    def __init__(
        self,
        *,
        bulk_task_ids: str | Sequence[str],
        bulk_run_id: str = "{{ run_id }}",
        bulk_dag_id: str = "{{ dag.dag_id }}",
        map_indexes: Sequence[int] = (-1,),
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.bulk_task_ids = bulk_task_ids
        self.bulk_run_id = bulk_run_id
        self.bulk_dag_id = bulk_dag_id
        self.map_indexes = map_indexes

    def execute(self, context: Any) -> int:
        ids = self.bulk_task_ids
        task_ids = [ids] if isinstance(ids, str) else list(ids)
        removed = sum(
            delete_delivery_record(self.bulk_dag_id, self.bulk_run_id, task_id, int(index))
            for task_id in task_ids
            for index in self.map_indexes
        )
        self.log.info("Deleted %d delivery-record Variable(s)", removed)
        from ..version_compat import HAS_TASK_STATE_STORE

        if HAS_TASK_STATE_STORE:
            self.log.info(
                "Records in a bulk task's own state store (Airflow 3.3+) are out of reach "
                "of other tasks: they go with their DAG run, a successful send's marker by "
                "[state_store] default_retention_days (docs: Running in production, the delivery record)"
            )
        return removed


class WhatsAppBulkSendOperator(WhatsAppBaseOperator):
    """Send one message or template to many recipients, fast and exactly once.

    Recipients come from a list (numbers, or dicts with ``to`` and per-recipient
    ``parameters``), an XCom value, or a CSV / JSON / JSON Lines file (streamed; CSV
    columns besides ``to`` become parameters: ``1``, ``2``... positional, other names
    named). Every recipient is read and checked before the first message: a row or
    entry that cannot be a recipient (empty, no ``to``, wrong type) is one ``invalid``
    recipient reported with its line or position; only a file that cannot be read (no
    header, not UTF-8, not JSON) fails the task, with nothing sent. A template send
    gets the pre-flight of ``WhatsAppSendTemplateOperator`` once: a template missing
    in ``language`` or not APPROVED fails the task before any message, and a recipient
    whose parameters do not fit its placeholders is ``invalid`` while the others are
    sent. Sends run concurrently under ``rate_share`` of the connection's rate limit
    (default its ``bulk_rate_share`` extra, 0.8): the rest stays free for alerts.

    A record of accepted recipients (keyed digests, no numbers) lives in the task's
    state store on Airflow 3.3+, in Variables before: a retried task skips those already
    accepted, and reports recipients whose request was in flight when an earlier try
    died as ``ambiguous`` instead of resending them (``resend_ambiguous=True`` to
    resend). When the task succeeds the record shrinks to a small completion marker (a
    cleared re-run then sends nothing while it lasts: docs, the delivery record);
    :class:`WhatsAppDeleteDeliveryRecordOperator` removes records kept in Variables.
    The task fails when the share of failed and invalid recipients exceeds
    ``max_failure_ratio``, and at once on an account-level error (revoked key, no Maton
    connection, locked or spam-limited account): the send stops, recipients never sent
    are reported ``not_sent`` and a retry sends them. The result goes to ``return_value``
    XCom either way (pushed before the task fails: ``AirflowException`` when a retry may
    help, ``AirflowFailException`` when not): the summary, and one row per recipient
    naming it by position (``index``, ``where``) and masked number (``to_masked``), its
    number in clear only with ``include_recipients=True`` (personal data). A send of more
    than ``max_xcom_results`` recipients keeps only the summary in XCom; ``results_path``
    writes every row to a JSON Lines file instead (any ``ObjectStoragePath``: local,
    ``s3://conn_id@bucket/key``...), XCom then holding the summary and the path.

    Before the first message the sending number's messaging limit (unique users per
    rolling 24 h of its business portfolio: ``TIER_250``, ``TIER_2K``...), quality rating
    and throughput are read (the bulk sends how-to: Messaging limit pre-flight). A
    template send with more recipients to message than the limit (duplicates, invalid ones
    and those accepted in an earlier try not counted) fails with
    :class:`~airflow_provider_whatsapp.client.errors.MessagingLimitError` and 0 messages
    sent, not retried; ``over_messaging_limit="send_up_to_limit"`` sends to
    the first ones up to the limit and reports the rest ``not_sent`` (the task then fails,
    not retried: clearing it a day later sends only those). A YELLOW or RED quality rating
    is logged as a warning; limits that cannot be read are logged and not checked.

    Bulk sends run in the Airflow pool named like their connection (``whatsapp_default``;
    :func:`account_pool`), which must exist, with one slot (``airflow pools set
    whatsapp_default 1 "WhatsApp bulk sends"``; Airflow flags a DAG whose pool is missing
    and does not schedule its task): bulk tasks sharing the account's rate take turns
    instead of fighting over it. ``pool=`` chooses another (``"default_pool"``: none).

    :param recipients: list, XCom value, comma-separated string, or file path; a relative
        path is tried as given, then beside the DAG file (templated).
    :param message: a message model or API-shaped dict sent to everyone (``to`` is replaced).
    :param template_name: or: an approved template (with ``language``).
    :param language: the template's language code (default ``en_US``).
    :param parameters: template parameters for everyone (a recipient's own win).
    :param components: full template components for everyone (instead of parameters).
    :param max_failure_ratio: tolerated share of failed + invalid recipients (0..1).
    :param concurrency: requests in flight at once.
    :param resend_ambiguous: on a retry, resend those whose request was in flight when the
        last try died (some may then get the message twice); default: report them.
    :param progress_every: seconds between progress lines in the task log.
    :param rate_share: share (0, 1] of the connection's rate limit to use (templated;
        default the connection's ``bulk_rate_share``, 0.8).
    :param include_results: push per-recipient rows to XCom (summary only when False),
        for a send of at most ``max_xcom_results`` recipients.
    :param max_xcom_results: above this many recipients XCom holds the summary only (and
        a note to set ``results_path``): XCom lives in the metadata database.
    :param results_path: write every recipient's row to this JSON Lines file instead of
        XCom: an absolute path or a URL ``ObjectStoragePath`` opens, its connection in the
        URL (``s3://my_aws@bucket/whatsapp/{{ run_id }}.jsonl``) or an ``ObjectStoragePath``
        (templated). Written once the send is over; created empty before the first message
        (a destination that cannot be written fails the task with nothing sent).
    :param include_recipients: put each recipient's number in clear (``to``) in its row, in
        XCom and the results file. Phone numbers are personal data and XCom is readable by
        anyone who can see the DAG run: default False (position and masked number only).
        Not templated: what a send discloses is the DAG author's decision.
    :param validate_template: check the template (exists, APPROVED, placeholders) first.
    :param over_messaging_limit: when a template send has more recipients to message than
        the sending number's messaging limit: ``"fail"`` (default: 0 messages sent),
        ``"send_up_to_limit"`` (send up to the limit, report the rest ``not_sent``) or
        ``"send_all"`` (only log; WhatsApp then refuses those past it with 131048, which
        stops the send) (templated).
    """

    template_fields: Sequence[str] = (
        *WhatsAppBaseOperator.template_fields,
        "recipients",
        "message",
        "template_name",
        "language",
        "parameters",
        "components",
        "rate_share",
        "results_path",
        "over_messaging_limit",
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
        rate_share: float | str | None = None,
        validate_template: bool = True,
        max_xcom_results: int = 1000,
        results_path: Any = None,
        include_recipients: bool = False,
        over_messaging_limit: str = "fail",
        **kwargs: Any,
    ) -> None:
        if kwargs.get("pool") is None and not (kwargs.get("default_args") or {}).get("pool"):
            kwargs["pool"] = account_pool(kwargs.get("whatsapp_conn_id", DEFAULT_CONN_ID))
        super().__init__(**kwargs)
        if (message is None) == (template_name is None):
            raise ValueError("give exactly one of message or template_name")
        if not 0 <= max_failure_ratio <= 1:
            raise ValueError(f"max_failure_ratio must be within 0..1, got {max_failure_ratio}")
        if concurrency < 1:
            raise ValueError(f"concurrency must be at least 1, got {concurrency}")
        if max_xcom_results < 0:
            raise ValueError(f"max_xcom_results must be 0 or more, got {max_xcom_results}")
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
        self.max_xcom_results = max_xcom_results
        self.results_path = results_path
        self.include_recipients = include_recipients
        self.progress_every = progress_every
        self.rate_share = rate_share
        self.validate_template = validate_template
        self.over_messaging_limit = over_messaging_limit
        if not _templated(over_messaging_limit):
            from ..bulk.preflight import check_over_messaging_limit  # small, stdlib only

            check_over_messaging_limit(over_messaging_limit)
        if rate_share is not None and not _templated(rate_share):
            from ..client.config import check_rate_share  # only when given: parse stays cheap

            check_rate_share(rate_share, "rate_share")
        if results_path not in (None, "") and not _templated(results_path):
            from ..bulk.results import check_results_path  # only when given: parse stays cheap

            check_results_path(results_path)

    @classmethod
    def partial(cls, **kwargs: Any) -> Any:
        """``BaseOperator.partial``, with the account pool as default (the scheduler reads a
        mapped task's pool from here, before any instance is built)."""
        partial = super().partial(**kwargs)
        if partial.kwargs.get("pool") is None:
            conn_id = partial.kwargs.get("whatsapp_conn_id", DEFAULT_CONN_ID)
            partial.kwargs["pool"] = account_pool(conn_id)
        return partial

    # -- building ---------------------------------------------------------------------
    def _builder(self) -> Any:
        from ..messages import Message, TemplateMessage, parse_message
        from ._shape import check_message_without

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
        # A bad message fails before any send; "to" is each recipient's, so left out here.
        check_message_without({k: v for k, v in base.items() if k != "to"}, "to", "missing")

        def build_message(to: str, params: Any) -> Message:
            return parse_message({**base, "to": to})

        return build_message

    def _jobs(self, recipients: Any = None, build: Any = None) -> Iterator[Job]:
        from ..bulk.recipients import iter_recipients
        from ..bulk.sender import Job

        build = build or self._builder()
        source = self.recipients if recipients is None else recipients
        for index, recipient in enumerate(iter_recipients(source)):
            if recipient.problem is not None:
                yield Job(index, recipient.to, _refuse(recipient.problem), recipient.where)
            else:
                yield Job(
                    index,
                    recipient.to,
                    _bind(build, recipient.to, recipient.parameters),
                    recipient.where,
                )

    def _template_check(self) -> Callable[[Message], None] | None:
        """The template pre-flight, shared with the single-template operator.

        The template is fetched when the first recipient about to be sent is screened
        (once per task): a template missing in its language or not APPROVED fails the
        task then, before any message; a send with nobody left to send (a retry after
        every recipient was accepted, a completed record) does not need it. Then each
        recipient's components are checked against its placeholders (``ValueError``:
        that recipient is invalid).
        """
        if not self.validate_template:
            return None
        from ..message_templates.sending import check_send_components, check_template_recipient
        from .messages import sendable_template

        def check(message: Message) -> None:
            if getattr(message, "type", None) != "template":
                return
            sent = message.to_payload()["template"]
            # Fetched once per task (template_for_send); fails the task if not sendable.
            template = sendable_template(self, sent["name"], sent["language"]["code"])
            check_template_recipient(template, getattr(message, "to", ""))  # auth: numbers only
            check_send_components(template, sent.get("components") or [])

        return check

    # -- running ----------------------------------------------------------------------
    def run(self, context: Any) -> dict[str, Any]:
        from .._airflow import resolve_local_path
        from ..bulk.recipients import is_recipient_file
        from ..bulk.record import DeliveryRecord
        from ..bulk.sender import BulkReport, preview
        from ..bulk.storage import open_record_storage
        from ..client.config import check_rate_share

        recipients = self.recipients
        if is_recipient_file(recipients):  # relative: beside the DAG file
            recipients = resolve_local_path(recipients, context)
        elif isinstance(recipients, Iterator):  # read twice: before and while sending
            recipients = list(recipients)

        share = (
            None
            if self.rate_share in (None, "")
            else check_rate_share(self.rate_share, "rate_share")
        )
        # The task state store on Airflow 3.3+ (a record left in Variables before an
        # upgrade is moved there first), Variables before.
        storage, key = open_record_storage(context, self.log, VariableStore)
        # Digests keyed by the Maton key: only a holder of the key can match a number.
        record = DeliveryRecord(storage, key, self.hook.config.api_key.encode())
        if record.completed:
            self.log.info(
                "Try %d: this send completed in an earlier run; nothing is sent", record.tries
            )
        elif record.accepted or record.unknown:
            self.log.info(
                "Try %d: %d recipient(s) accepted earlier will be skipped; %d had an unknown outcome",
                record.tries,
                len(record.accepted),
                len(record.unknown),
            )
        build = self._builder()  # validates the message / template shape first
        check = self._template_check()
        # Every recipient read and screened before the first message: an unreadable file
        # or a template that cannot be sent stops here, with nothing sent and the record
        # untouched (reading it writes nothing), so a retry starts where this try would.
        ahead = preview(
            self._jobs(recipients, build), record, resend_unknown=self.resend_ambiguous, check=check
        )
        self._log_preview(ahead)
        # The account's limits, before the first message: 0 sent when the send cannot fit.
        limits, cap = self._messaging_limit(ahead.total - ahead.done)
        results_file = self._results_file()  # written empty now: nothing sent if it cannot be
        in_xcom = results_file is None and self.include_results
        rows_in_xcom = in_xcom and ahead.total <= self.max_xcom_results
        report = BulkReport(
            keep_results=rows_in_xcom, sink=results_file.write if results_file else None
        )
        jobs = self._jobs(recipients, build)
        try:
            report = asyncio.run(
                self._send(jobs, record, ahead.total, share, check, report, cap, limits)
            )
            summary = report.summary()
            if limits is not None:  # what the pre-flight read: tier, limit, quality, throughput
                summary["messaging_limit"] = limits.to_dict()
            self.log.info("Bulk send summary: %s", summary)
            for line in report.reason_lines():  # one event each: the task log greps well
                self.log.warning("Not accepted: %s", line)
            result: dict[str, Any] = {"summary": summary, "delivery_record": key}
            if results_file is not None:
                self._publish(results_file, report, context, result)
            elif rows_in_xcom:
                result["results"] = [
                    r.to_dict(include_recipient=self.include_recipients) for r in report.results
                ]
            elif in_xcom:
                result["results_note"] = (
                    f"{ahead.total} recipients, more than max_xcom_results "
                    f"({self.max_xcom_results}): per-recipient rows are not in XCom; set "
                    "results_path to write them to a file"
                )
                self.log.warning("%s", result["results_note"])
        finally:
            if results_file is not None:
                results_file.close()
        self._check(report, context, result)
        self._check_held_back(report, limits, context, result)
        record.complete()  # only a successful send shrinks the record to its marker
        return result

    def _sends_templates(self) -> bool:
        """Whether the send is of templates: only those reach users outside the 24-hour
        window, the only ones the messaging limit counts."""
        if self.template_name:
            return True
        base = self.message
        if isinstance(base, str):
            import json

            base = json.loads(base)
        kind = base.get("type") if isinstance(base, dict) else getattr(base, "type", None)
        return kind == "template"

    def _messaging_limit(self, to_send: int) -> tuple[AccountLimits | None, int | None]:
        """The messaging limit pre-flight: ``(limits read or None, how many may be sent or
        None for all)``; raises ``MessagingLimitError`` (nothing sent) when a template send
        of more recipients than the limit is to fail."""
        from ..bulk.preflight import check_over_messaging_limit, messaging_cap, read_account_limits

        mode = check_over_messaging_limit(self.over_messaging_limit)
        if to_send == 0:
            return None, None  # nobody to message: nothing to read
        limits = read_account_limits(self.hook.client, self.log)
        if not self._sends_templates():
            if limits is not None and limits.limit is not None:
                self.log.info(
                    "Messaging limit pre-flight: not checked for free-form messages, which "
                    "reach only users inside their 24-hour window (the limit does not count them)"
                )
            return limits, None
        cap = messaging_cap(
            limits, to_send, mode, self.log, phone_number_id=self.hook.config.phone_number_id
        )
        return limits, cap

    def _check_held_back(
        self,
        report: BulkReport,
        limits: AccountLimits | None,
        context: Any,
        result: dict[str, Any],
    ) -> None:
        """Recipients held back by ``send_up_to_limit`` fail the task, not retried (a retry
        within 24 h meets the same limit): a clear once the limit allows sends only them."""
        if not report.held_back or limits is None:
            return
        message = (
            f"Bulk send reached the messaging limit ({limits.tier}: {limits.limit} unique users "
            f"per rolling 24 h): {report.counts['accepted']} accepted, {report.held_back} of "
            f"{report.total} recipients held back and not sent "
            "(over_messaging_limit='send_up_to_limit'). Clear this task once 24 h have passed "
            "or the tier is raised: it sends only those not accepted. See "
            f"{_results_hint(result)}"
        )
        fail_with_result(context, result, message, retry_may_help=False)

    def _results_file(self) -> ResultsFile | None:
        """The rendered ``results_path``, probed (written empty) before the first message."""
        if self.results_path in (None, ""):
            return None
        from ..bulk.results import ResultsFile, results_path

        results_file = ResultsFile(
            results_path(self.results_path), include_recipients=self.include_recipients
        )
        try:
            results_file.probe()
        except BaseException:
            results_file.close()
            raise
        return results_file

    def _publish(
        self, results_file: ResultsFile, report: BulkReport, context: Any, result: dict[str, Any]
    ) -> None:
        """Copy the rows to ``results_path``; XCom names it. The messages are sent by now: if
        the copy fails, the summary still reaches XCom and the task fails (retryable: a
        retry sends nobody twice and writes the file again)."""
        path = str(results_file.path)
        try:
            size = results_file.publish()
        except Exception as exc:
            result["results_path"] = path
            result["results_error"] = f"{type(exc).__name__}: {exc}"
            fail_with_result(
                context,
                result,
                f"Bulk send done ({report.counts['accepted']} accepted of {report.total}) but "
                f"its per-recipient results could not be written to {path} "
                f"({result['results_error']}); a retry sends nobody twice and writes them "
                "again (recipients accepted now are then 'skipped')",
                retry_may_help=True,
            )
        self.log.info(
            "Wrote %d per-recipient row(s), %d bytes, to %s", results_file.rows, size, path
        )
        result["results_path"] = path
        result["results_rows"] = results_file.rows

    def _log_preview(self, ahead: BulkReport) -> None:
        counts = ahead.counts
        self.log.info(
            "Read %d recipient(s) before sending: %d to send, %d invalid, %d duplicate, "
            "%d skipped, %d ambiguous",
            ahead.total,
            ahead.total - ahead.done,
            counts["invalid"],
            counts["duplicate"],
            counts["skipped"],
            counts["ambiguous"],
        )
        for line in ahead.reason_lines():
            self.log.warning("Will not be sent: %s", line)

    async def _send(
        self,
        jobs: Any,
        record: DeliveryRecord,
        total: int | None,
        share: float | None,
        check: Callable[[Message], None] | None = None,
        report: BulkReport | None = None,
        cap: int | None = None,
        limits: AccountLimits | None = None,
    ) -> BulkReport:
        from ..bulk.preflight import held_back_reason
        from ..bulk.sender import BulkSender

        client = await self.hook.get_async_conn(
            concurrency=self.concurrency, bulk=True, rate_share=share
        )
        try:
            sender = BulkSender(
                client,
                concurrency=self.concurrency,
                record=record,
                resend_unknown=self.resend_ambiguous,
                progress_every=self.progress_every,
                expected_total=total,
                logger=self.log,
                check=check,
                send_limit=cap,
                held_back_reason=held_back_reason(limits) if limits is not None else "",
            )
            if report is not None:  # what to keep of each result, and where else it goes
                sender.report = report
            return await sender.run(jobs)
        finally:
            await client.aclose()

    def _check(self, report: BulkReport, context: Any, result: dict[str, Any]) -> None:
        stopped = report.stopped_by
        if stopped is None and report.failure_ratio <= self.max_failure_ratio:
            return
        if stopped is not None:
            message = (
                f"Bulk send stopped: {stopped}. No other recipient could get through, so "
                f"{report.counts['not_sent']} recipient(s) were not sent "
                f"({report.counts['accepted']} accepted, {report.counts['failed']} failed "
                "before the stop); once the account is fixed, retry or clear this task: it "
                f"sends only those not accepted. See {_results_hint(result)}"
            )
            # A retry can help only if the error may pass by itself (Maton's 500).
            fail_with_result(context, result, message, retry_may_help=stopped.retryable)
        reasons = "; ".join(report.reason_lines(limit=3))
        message = (
            f"{report.counts['failed']} failed and {report.counts['invalid']} invalid of "
            f"{report.total} recipients ({report.failure_ratio:.1%} > max_failure_ratio "
            f"{self.max_failure_ratio:.1%}): {reasons}; see {_results_hint(result)}"
        )
        if report.retryable_failures:  # a retry resends only to those not accepted
            message += f"; {report.retryable_failures} may succeed on retry"
        fail_with_result(context, result, message, retry_may_help=bool(report.retryable_failures))


def _results_hint(result: dict[str, Any]) -> str:
    """Where a failure message sends the reader for each recipient's outcome."""
    if "results_path" in result:
        return f"{result['results_path']} for each recipient"
    if "results" in result:
        return "XCom 'return_value' for each recipient"
    return "XCom 'return_value' for the summary (results_path keeps each recipient's row)"


def _templated(value: Any) -> bool:
    return isinstance(value, str) and ("{{" in value or "{%" in value)


def _bind(build: Any, to: str, params: Any) -> Any:
    return lambda: build(to, params)


def _refuse(problem: str) -> Callable[[], NoReturn]:
    """The build of an entry that cannot be a recipient: it is reported invalid."""

    def build() -> NoReturn:
        raise WhatsAppValidationError(problem)

    return build


__all__ = [
    "VariableStore",
    "WhatsAppBulkSendOperator",
    "WhatsAppDeleteDeliveryRecordOperator",
    "delete_delivery_record",
    "record_key",
]
