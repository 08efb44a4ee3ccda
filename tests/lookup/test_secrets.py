"""Secrets: read at run time from Secrets Manager or SSM, cached with a TTL, never shown."""

from __future__ import annotations

import json
from collections.abc import Iterator

import boto3
import pytest
from moto import mock_aws

from deepalert.lookup import Secret, SecretError, clear_secret_cache
from deepalert.testing import FakeSecretStore

VALUE = "vt-0123456789abcdef"


@pytest.fixture(autouse=True)
def fresh_cache() -> Iterator[None]:
    clear_secret_cache()
    yield
    clear_secret_cache()


def test_a_json_secret_key_is_read_from_the_arn_in_the_environment(monkeypatch):
    store = FakeSecretStore({"arn:aws:secretsmanager:eu-west-1:1:secret:vt": {
        "virustotal_token": VALUE}})
    monkeypatch.setenv("SECRET_ARN", "arn:aws:secretsmanager:eu-west-1:1:secret:vt")
    with store.install():
        assert Secret(env="SECRET_ARN", key="virustotal_token").get() == VALUE


def test_the_value_is_cached_for_the_ttl_across_instances(monkeypatch):
    store = FakeSecretStore({"vt": {"virustotal_token": VALUE}})
    with store.install():
        for _ in range(3):
            Secret(name="vt", key="virustotal_token").get()
        assert store.reads == ["vt"]
        store.put_secret("vt", {"virustotal_token": "rotated"})
        assert Secret(name="vt", key="virustotal_token", ttl=0).get() == "rotated"
        assert store.reads == ["vt", "vt"]


def test_ssm_is_chosen_for_parameter_names_and_arns():
    store = FakeSecretStore(parameters={"/deepalert/abuseipdb": "k1"})
    with store.install():
        assert Secret(name="/deepalert/abuseipdb").get() == "k1"
    assert Secret(name="arn:aws:ssm:us-east-1:1:parameter/x")._source_for(
        "arn:aws:ssm:us-east-1:1:parameter/x") == "ssm"


def test_an_unset_variable_names_the_variable():
    with pytest.raises(SecretError, match="set SECRET_ARN"):
        Secret(env="SECRET_ARN").get()


def test_a_missing_secret_names_it_and_the_error_code():
    with FakeSecretStore().install(), pytest.raises(SecretError,
                                                    match="ResourceNotFoundException"):
        Secret(name="nope").get()


def test_a_missing_key_names_the_key_but_not_the_value():
    store = FakeSecretStore({"vt": {"other": VALUE}})
    with store.install(), pytest.raises(SecretError) as caught:
        Secret(name="vt", key="virustotal_token").get()
    assert "virustotal_token" in str(caught.value)
    assert VALUE not in str(caught.value)


def test_a_key_on_a_plain_string_secret_is_refused_without_showing_it():
    store = FakeSecretStore({"vt": VALUE})
    with store.install(), pytest.raises(SecretError) as caught:
        Secret(name="vt", key="virustotal_token").get()
    assert VALUE not in str(caught.value)


def test_the_repr_never_shows_the_value():
    store = FakeSecretStore({"vt": VALUE})
    secret = Secret(name="vt")
    with store.install():
        secret.get()
    assert VALUE not in repr(secret)
    assert repr(secret) == "Secret(name='vt')"


def test_exactly_one_of_name_and_env():
    with pytest.raises(ValueError, match="exactly one"):
        Secret()
    with pytest.raises(ValueError, match="exactly one"):
        Secret(name="a", env="B")


@mock_aws
def test_secrets_manager_and_ssm_under_moto():
    sm = boto3.client("secretsmanager", region_name="us-east-1")
    arn = sm.create_secret(Name="deepalert/vt",
                           SecretString=json.dumps({"virustotal_token": VALUE}))["ARN"]
    ssm = boto3.client("ssm", region_name="us-east-1")
    ssm.put_parameter(Name="/deepalert/key", Value="p-1", Type="SecureString")
    assert Secret(name=arn, key="virustotal_token").get() == VALUE
    assert Secret(name="/deepalert/key").get() == "p-1"
    with pytest.raises(SecretError, match="ResourceNotFoundException"):
        Secret(name="deepalert/none").get()
