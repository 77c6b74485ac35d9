# docs-test: task state=success messages=0
# [START account_audit]
from airflow.sdk import task
from airflow_provider_whatsapp.hooks.whatsapp import WhatsAppHook

@task
def audit():
    client = WhatsAppHook().get_conn()            # whatsapp_default -> WhatsAppClient
    numbers = client.list_phone_numbers()         # needs waba_id
    number = client.get_phone_number()            # the connection's phone_number_id
    connections = client.list_maton_connections() # ACTIVE Maton connections
    new = client.create_maton_connection()        # open new["url"] in a browser to finish OAuth
    return {"numbers": [n["display_phone_number"] for n in numbers]}

audit()  # calling it adds the task to your DAG
# [END account_audit]
