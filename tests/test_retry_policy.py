"""``whatsapp_retry_policy()``: WhatsApp's retry advice as an Airflow 3.3 retry policy.

What the policy decides is checked on the very exception our operator raised against the
emulator (``evaluate``, as the task runner calls it: no waiting out a delay), and once
through ``dag.test()``, where the delay the policy chose is what Airflow stored for the
retry. On 3.1 and 3.2 there are no retry policies: the function says so.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Any

import pytest

from airflow_provider_whatsapp.client.errors import (
    MarketingLimitError,
    PairRateLimitError,
    ThroughputLimitError,
    WhatsAppConfigError,
    WhatsAppError,
)
from airflow_provider_whatsapp.hooks.whatsapp import WhatsAppHook
from airflow_provider_whatsapp.operators.messages import WhatsAppSendTextOperator
from airflow_provider_whatsapp.retry_policy import whatsapp_retry_policy
from airflow_provider_whatsapp.testing import WhatsAppEmulator
from airflow_provider_whatsapp.version_compat import (
    HAS_RETRY_POLICY,
    AirflowFailException,
    RetryAction,
)
from tests.helpers import TO, task_states

pytestmark = pytest.mark.emu(connection={"rate_limit": 0, "max_retries": 0}, open_window=[TO])
needs_retry_policies = pytest.mark.skipif(
    not HAS_RETRY_POLICY,
    reason="retry_policy= arrived in Airflow 3.3: on 3.1 and 3.2 no task can have one",
)


def send_text(**kwargs: Any) -> WhatsAppSendTextOperator:
    return WhatsAppSendTextOperator(task_id="offer", to=TO, text="Spring offer", **kwargs)


def raised_by(operator: WhatsAppSendTextOperator) -> BaseException:
    """The exception the operator's ``execute`` raised (what the task runner catches)."""
    with pytest.raises(BaseException) as raised:
        operator.execute({})
    return raised.value


@needs_retry_policies
@pytest.mark.parametrize(
    ("code", "error", "delay"),
    [
        ("130429", ThroughputLimitError, timedelta(seconds=5)),
        ("131056", PairRateLimitError, timedelta(seconds=6)),
    ],
)
def test_sending_limits_are_retried_after_seconds(
    emu: WhatsAppEmulator, code: str, error: type[WhatsAppError], delay: timedelta
) -> None:
    emu.inject_faults(1.0, [code])
    operator = send_text(retries=3, retry_policy=whatsapp_retry_policy())
    exc = raised_by(operator)
    assert type(exc) is error  # the provider's error itself reaches the policy
    decision = operator.retry_policy.evaluate(exc, try_number=1, max_tries=4)
    assert (decision.action, decision.retry_delay) == (RetryAction.RETRY, delay)
    assert code in (decision.reason or "")
    assert emu.messages == []


@needs_retry_policies
def test_marketing_limit_is_retried_a_day_later_or_failed_if_asked(emu: WhatsAppEmulator) -> None:
    """131049: only a retry a day later can pass. With the policy the operator raises the
    error itself (an ``AirflowFailException`` would never reach the policy), which retries
    after 24 h, or fails with ``marketing_limit_delay=None``. Without a rule for it, the
    task fails at once as before."""
    emu.inject_faults(1.0, ["131049"])
    operator = send_text(retries=1, retry_policy=whatsapp_retry_policy())
    exc = raised_by(operator)
    assert type(exc) is MarketingLimitError
    assert "do not retry within 24 h" in str(exc)
    decision = operator.retry_policy.evaluate(exc, try_number=1, max_tries=2)
    assert (decision.action, decision.retry_delay) == (RetryAction.RETRY, timedelta(hours=24))

    no_retry = whatsapp_retry_policy(marketing_limit_delay=None)
    exc = raised_by(send_text(retries=1, retry_policy=no_retry))
    assert type(exc) is MarketingLimitError
    assert no_retry.evaluate(exc, try_number=1, max_tries=2).action is RetryAction.FAIL

    assert isinstance(raised_by(send_text(retries=1)), AirflowFailException)
    assert len(emu.requests) == 3 and emu.messages == []


@needs_retry_policies
@pytest.mark.parametrize(
    ("fault", "code"),
    [("131026", 131026), ("131050", 131050), ("expire_token", 190), ("template", 132001)],
)
def test_terminal_errors_fail_from_operators_and_from_task_code(
    emu: WhatsAppEmulator, fault: str, code: int
) -> None:
    """Not on WhatsApp, stopped marketing, expired token, rejected template: an operator
    fails with ``AirflowFailException`` (Airflow fails it without asking the policy), and
    the error itself, as ``@task`` code calling the client gets it, is failed by the
    policy: neither uses the task's retries."""
    if fault == "expire_token":
        emu.break_account("expire_token")
    elif fault == "template":
        emu.add_template("spring_offer", components=None, status="REJECTED", reason="PROMOTIONAL")
    else:
        emu.inject_faults(1.0, [fault])
    policy = whatsapp_retry_policy()
    if fault == "template":
        message = {"name": "spring_offer", "language": {"code": "en_US"}}
        with pytest.raises(WhatsAppError) as raised:
            WhatsAppHook().get_conn().send_message(
                {"to": TO, "type": "template", "template": message}
            )
        exc: BaseException = raised.value
    else:
        failure = raised_by(send_text(retries=3, retry_policy=policy))
        assert isinstance(failure, AirflowFailException)
        assert isinstance(failure.__cause__, WhatsAppError)
        exc = failure.__cause__
    assert getattr(exc, "code", None) == code
    decision = policy.evaluate(exc, try_number=1, max_tries=4)
    assert decision.action is RetryAction.FAIL
    assert emu.messages == []


@needs_retry_policies
@pytest.mark.parametrize(
    ("argument", "value", "says"),
    [
        ("marketing_limit_delay", timedelta(hours=1), "must be at least 1 day"),
        ("throughput_delay", 5, "must be a datetime.timedelta, got 5"),
        ("pair_rate_delay", timedelta(seconds=-1), "must be at least 0:00:00"),
    ],
)
def test_bad_delays_are_refused_naming_the_argument(argument: str, value: Any, says: str) -> None:
    with pytest.raises(WhatsAppConfigError, match=f"argument '{argument}' {says}"):
        whatsapp_retry_policy(**{argument: value})


@needs_retry_policies
@pytest.mark.dag
def test_dag_retries_a_throttled_send_after_the_policys_delay_and_never_a_terminal_one(
    airflow_db: Any, emu: WhatsAppEmulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    from airflow.models.taskinstancehistory import TaskInstanceHistory
    from airflow.utils.session import create_session

    from tests.dags.retry_policy import dag

    emu.add_template("spring_offer", components=None, status="REJECTED", reason="PROMOTIONAL")
    # Two more emulators, client retries off so only Airflow's retry can recover:
    # "whatsapp_throttled" answers the first send 130429 and lets the next pass (seeded
    # draw), "whatsapp_opted_out" answers every send 131050.
    with (
        WhatsAppEmulator(rate_limit=None) as throttled,
        WhatsAppEmulator(rate_limit=None) as opted_out,
    ):
        for conn_id, emulator, fault, ratio in [
            ("whatsapp_throttled", throttled, "130429", 0.5),
            ("whatsapp_opted_out", opted_out, "131050", 1.0),
        ]:
            emulator.open_window(TO)
            emulator.inject_faults(ratio, [fault], seed=1)
            for name, value in emulator.connection_env(conn_id, max_retries=0).items():
                monkeypatch.setenv(name, value)
        when = datetime(2026, 3, 4, 5, 6, 7, tzinfo=timezone.utc)
        dr = dag.test(logical_date=when, run_after=when, run_conf={"to": TO})
        throttled_answers = [r.status for r in throttled.requests if r.method == "POST"]
        opted_out_answers = [r.status for r in opted_out.requests if r.method == "POST"]

    assert task_states(dr) == {
        "throttled": "success",
        "opted_out": "failed",
        "rejected_template": "failed",
    }
    tries = {ti.task_id: ti.try_number for ti in dr.get_task_instances()}
    assert tries == {"throttled": 2, "opted_out": 1, "rejected_template": 1}
    assert throttled_answers == [400, 200]
    assert opted_out_answers == [400]
    assert [r.status for r in emu.requests if r.method == "POST"] == [400]  # 132001
    with create_session() as session:
        earlier = session.query(TaskInstanceHistory).filter_by(
            dag_id=dag.dag_id, run_id=dr.run_id, task_id="throttled"
        )
        (first,) = earlier.all()
    # The first try's retry came after the policy's 1 s, not the task's retry_delay of 0.
    assert (first.try_number, first.retry_delay_override) == (1, 1.0)
    assert "130429" in first.retry_reason
    assert emu.messages == [] and opted_out.messages == []


@pytest.mark.skipif(
    HAS_RETRY_POLICY, reason="Airflow 3.3+ has retry policies: this error is for 3.1 and 3.2"
)
def test_before_airflow_3_3_it_says_retry_policies_need_3_3() -> None:
    with pytest.raises(WhatsAppConfigError) as raised:
        whatsapp_retry_policy()
    text = str(raised.value)
    assert "needs Airflow 3.3 or newer" in text
    assert "leave retry_policy out" in text
