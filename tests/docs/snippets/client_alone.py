# docs-test: skip reason="talks to the real Maton gateway: needs a real Maton key and phone number id"
# [START client_alone]
import os

from airflow_provider_whatsapp.client import ClientConfig, WhatsAppClient

config = ClientConfig(api_key=os.environ["MATON_API_KEY"], phone_number_id="1234567890")
with WhatsAppClient(config) as client:
    client.send_message({"to": "16505551234", "type": "text", "text": {"body": "hi"}})
# [END client_alone]
