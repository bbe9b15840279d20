"""A proxy.py plugin that writes one line per request it forwards, for the network tests.

proxy.py's own access log writes one line per connection, so kept-alive requests would not be
counted; this plugin sees every request, and the CONNECT that opens each TLS tunnel.
"""

from __future__ import annotations

import os

from proxy.http.parser import HttpParser
from proxy.http.proxy import HttpProxyBasePlugin

#: The file the plugin appends to, given to the proxy process in its environment.
LOG_ENV_VAR = "WEBWORK_TEST_PROXY_LOG"


class RequestLog(HttpProxyBasePlugin):
    """Appends ``METHOD host:port`` for every request that passes."""

    def handle_client_request(self, request: HttpParser) -> HttpParser | None:
        method = (request.method or b"?").decode()
        host = (request.host or b"?").decode()
        with open(os.environ[LOG_ENV_VAR], "a", encoding="utf-8") as log:
            log.write(f"{method} {host}:{request.port}\n")
        return request
