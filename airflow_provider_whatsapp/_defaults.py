"""Where the provider talks to by default: Maton's hosts and the Graph API version.

Defined once, here, importing nothing: the client's config (their public home,
``client.config``, re-exports them) and ``get_provider_info`` (the connection form's
defaults, read by Airflow whenever it discovers providers, even while a DAG file is
parsed) both import them, without loading the client package.
"""

from __future__ import annotations

#: Maton's one host for gateway calls and ``/connections`` (its docs since 2026-04-30, its
#: Python SDK ``maton-ai`` 0.3.1): the connection's ``host`` when left empty, and the ctrl
#: URL when ``ctrl_host`` is empty too.
DEFAULT_GATEWAY_URL = "https://api.maton.ai"
#: The older split of the seed document: a gateway on ``gateway.maton.ai`` keeps its
#: connection management on ``ctrl.maton.ai`` unless ``ctrl_host`` says otherwise.
SPLIT_GATEWAY_URL = "https://gateway.maton.ai"
SPLIT_CTRL_URL = "https://ctrl.maton.ai"
#: Graph API version in gateway paths (Maton's WhatsApp examples use it). Each version is
#: served until two years after the next one's release (v21.0 until January 2027); Meta
#: then moves calls silently to the oldest version still served. ``api_version`` pins one.
DEFAULT_API_VERSION = "v25.0"
