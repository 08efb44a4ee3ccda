"""Ready-made integrations: inspectors and emitters for the services every team uses.

One module per service, each a thin translation between the service's API and DeepAlert's
models, on the toolkit in :mod:`deepalert.lookup`. Import the module you deploy, such as
``deepalert.integrations.slack``: importing this package loads none of them.

Inspectors (``virustotal``, ``abuseipdb``, ``shodan``, ``greynoise``, ``otx``, ``urlhaus``,
``malwarebazaar``, ``threatfox``, ``aws_ec2``, ``aws_iam``) each offer a factory such as
``virustotal_inspector(...)`` and a ready Lambda ``handler`` configured from the environment
on its first event; a lookup that cannot answer fails its record, never reads as "nothing
found".

Emitters act once per publication (report ID, status and severity) although the queue
delivers at least once; the stores that remember what was done are exported here.
"""

from deepalert.integrations._idempotency import (
    DynamoDBIdempotencyStore,
    IdempotencyStore,
    InProgressError,
    MemoryIdempotencyStore,
    publication_key,
    run_once,
)

__all__ = [
    "DynamoDBIdempotencyStore",
    "IdempotencyStore",
    "InProgressError",
    "MemoryIdempotencyStore",
    "publication_key",
    "run_once",
]
