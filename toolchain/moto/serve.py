"""moto's server, with each DynamoDB request handled atomically as DynamoDB handles it.

moto_server answers requests on many threads and its DynamoDB backend reads an item, checks a
condition and writes without a lock: two conditional PutItems on one key can both succeed
(measured: in 11 of 300 rounds of 8 concurrent claims on a loaded 2-core machine), so an
idempotency claim or an optimistic version check passes twice where DynamoDB lets one through.
moto has no setting for this, so DynamoDB calls take one lock here. Other services keep moto's
threads: an SQS long poll must not hold up the rest. Usage is moto_server's: -H host -p port.
"""

import threading

from moto import server
from moto.moto_server.werkzeug_app import DomainDispatcherApplication

_DYNAMODB_TARGET = "DynamoDB_20120810."
_dynamodb = threading.Lock()
_dispatch = DomainDispatcherApplication.__call__


def _call(self, environ, start_response):
    if environ.get("HTTP_X_AMZ_TARGET", "").startswith(_DYNAMODB_TARGET):
        # The backend runs inside the call (the response body is already built when it
        # returns), so the lock covers the whole operation.
        with _dynamodb:
            return _dispatch(self, environ, start_response)
    return _dispatch(self, environ, start_response)


DomainDispatcherApplication.__call__ = _call

if __name__ == "__main__":
    server.main()
