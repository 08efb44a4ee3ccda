"""The DeepAlert core on AWS: a DynamoDB store with the Go core's item layout, an SNS and
Step Functions delivery, and the Lambda entry points (re-exported by
:mod:`deepalert.core.handlers`).

Importing this package loads no boto3: clients are made on first use.
"""

from deepalert.core.aws._delivery import AwsDelivery, execution_name
from deepalert.core.aws._store import DynamoStore

__all__ = ["AwsDelivery", "DynamoStore", "execution_name"]
