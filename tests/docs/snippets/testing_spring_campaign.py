# docs-test: pytest uses=spring_campaign
# [START testing_spring_campaign]
from spring_campaign import dag


def test_a_250_tier_number_stops_a_300_recipient_campaign(whatsapp_emulator_connection):
    emulator = whatsapp_emulator_connection
    emulator.add_template("spring_sale", components=[{"type": "BODY", "text": "Spring sale!"}])
    emulator.messaging_limit = "TIER_250"  # a new business portfolio's limit
    customers = [f"+1 650 555 {n:04d}" for n in range(300)]

    run = dag.test(run_conf={"customers": customers})

    assert run.state == "failed"
    assert emulator.messages == []  # stopped before the first message
# [END testing_spring_campaign]
