# docs-test: pytest uses=nightly_load
# [START testing_nightly_load]
# tests/test_nightly_load.py. dag.test() runs a DAG only from a file in Airflow's DAGs
# folder: set AIRFLOW__CORE__DAGS_FOLDER to dags/, put dags/ on the path (pytest:
# pythonpath = ["dags"]) and run `airflow db migrate` once.
from nightly_load import dag


def test_failure_alerts_reach_oncall(whatsapp_emulator_connection):
    emulator = whatsapp_emulator_connection  # whatsapp_default now points at it
    emulator.open_window("+1 650 555 1234")  # this person wrote in: free-form text allowed
    emulator.add_template(
        "pipeline_failed",
        components=[
            {
                "type": "BODY",
                "text": "Pipeline {{1}} failed (run {{2}}).",
                "example": {"body_text": [["nightly_load", "manual"]]},
            }
        ],
    )

    run = dag.test()

    assert run.state == "failed"
    assert [m.type for m in emulator.sent_to("16505551234")] == ["text", "template"]
    assert [m.type for m in emulator.sent_to("447700900123")] == ["template"]  # window closed
# [END testing_nightly_load]
