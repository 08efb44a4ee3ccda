"""The reviewer and emitter modules are cheap to import in a Lambda cold start."""

from __future__ import annotations

import subprocess
import sys

import pytest


@pytest.mark.parametrize("module", ["deepalert.reviewer", "deepalert.emitter",
                                    "examples.reviewer.policy", "examples.emitter.slack"])
def test_importing_a_role_loads_no_aws_sdk_asyncio_or_pytest(module: str) -> None:
    """Importing a role (or an example handler) loads no boto3, botocore, asyncio or pytest."""
    code = (f"import sys, {module}\n"
            "bad = sorted(m for m in sys.modules if m.split('.')[0] in "
            "{'boto3', 'botocore', 'asyncio', 'click', 'pytest', 'deepalert.testing'})\n"
            "bad += [m for m in sys.modules if m.startswith('deepalert.testing')]\n"
            "print(','.join(bad))")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            check=True)
    assert result.stdout.strip() == ""
