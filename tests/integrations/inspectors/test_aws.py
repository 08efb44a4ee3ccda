"""The AWS-native inspectors, under moto (and botocore's Stubber where moto cannot record a
last use): the EC2 instance behind a private IP, the IAM user or role behind a name or ARN."""

from __future__ import annotations

import json
from datetime import datetime, timezone

import boto3
import pytest
from botocore.stub import Stubber
from moto import mock_aws

from deepalert import Attribute
from deepalert.integrations import aws_ec2, aws_iam
from deepalert.lookup import AuthenticationError
from deepalert.testing import run_inspector


@pytest.fixture
def aws():
    with mock_aws():
        yield


# --- EC2 ---------------------------------------------------------------------------------------

@pytest.fixture
def instance(aws):
    ec2 = boto3.client("ec2", region_name="us-east-1")
    vpc = ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
    subnet = ec2.create_subnet(VpcId=vpc, CidrBlock="10.0.1.0/24")["Subnet"]["SubnetId"]
    ec2.modify_subnet_attribute(SubnetId=subnet, MapPublicIpOnLaunch={"Value": True})
    made = ec2.run_instances(ImageId="ami-12c6146b", MinCount=1, MaxCount=1, SubnetId=subnet,
                             PrivateIpAddress="10.0.1.5", TagSpecifications=[{
                                 "ResourceType": "instance", "Tags": [
                                     {"Key": "Name", "Value": "web-1"},
                                     {"Key": "team", "Value": "payments"}]}])
    described = ec2.describe_instances(InstanceIds=[made["Instances"][0]["InstanceId"]])
    return described["Reservations"][0]["Instances"][0] | {"VpcId": vpc, "SubnetId": subnet}


def test_a_private_ip_leads_to_its_instance_and_its_public_ip(instance):
    inspector = aws_ec2.ec2_inspector(client=boto3.client("ec2", region_name="us-east-1"))
    result = run_inspector(inspector, Attribute(type="ipaddr", value="10.0.1.5",
                                                context=["local"]))
    (host,) = result.contents
    public_ip = instance["PublicIpAddress"]
    assert host.ipaddr == ["10.0.1.5", public_ip]
    assert "web-1" in host.hostname
    assert host.owner == ["123456789012"]
    (page,) = host.related_urls
    instance_id = instance["InstanceId"]
    assert page.url == ("https://us-east-1.console.aws.amazon.com/ec2/home?region=us-east-1"
                        f"#InstanceDetails:instanceId={instance_id}")
    assert page.reference.startswith(
        f"instance {instance_id} (running) in {instance['VpcId']}/{instance['SubnetId']}, "
        "image ami-12c6146b")
    assert page.reference.endswith("tags: Name=web-1, team=payments")
    by_key = {a.key: a for a in result.new_attributes}
    assert by_key["public_ip"].value == public_ip
    assert by_key["public_ip"].context == ["local"]
    assert by_key["public_dns"].type == "domain"


def test_an_interface_without_instance_is_described(aws):
    ec2 = boto3.client("ec2", region_name="us-east-1")
    vpc = ec2.create_vpc(CidrBlock="10.1.0.0/16")["Vpc"]["VpcId"]
    subnet = ec2.create_subnet(VpcId=vpc, CidrBlock="10.1.2.0/24")["Subnet"]["SubnetId"]
    eni = ec2.create_network_interface(SubnetId=subnet, PrivateIpAddress="10.1.2.9",
                                       Description="ELB app/front/123")["NetworkInterface"]
    inspector = aws_ec2.ec2_inspector(client=ec2, new_attribute_context=["remote"])
    result = run_inspector(inspector, Attribute(type="ipaddr", value="10.1.2.9"))
    (host,) = result.contents
    assert host.related_urls[0].reference == (
        f"network interface {eni['NetworkInterfaceId']} (interface) in {vpc}/{subnet}: "
        "ELB app/front/123")
    assert result.new_attributes == []


def test_an_address_reused_in_two_vpcs_gives_one_host_each(aws):
    ec2 = boto3.client("ec2", region_name="us-east-1")
    vpcs = []
    for _ in range(2):
        vpc = ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
        subnet = ec2.create_subnet(VpcId=vpc, CidrBlock="10.0.1.0/24")["Subnet"]["SubnetId"]
        ec2.create_network_interface(SubnetId=subnet, PrivateIpAddress="10.0.1.9")
        vpcs.append(vpc)
    result = run_inspector(aws_ec2.ec2_inspector(client=ec2),
                           Attribute(type="ipaddr", value="10.0.1.9"))
    assert len(result.contents) == 2
    references = " | ".join(h.related_urls[0].reference for h in result.contents)
    assert all(vpc in references for vpc in vpcs)


def test_an_unknown_or_public_address_finds_nothing(aws):
    ec2 = boto3.client("ec2", region_name="us-east-1")
    inspector = aws_ec2.ec2_inspector(client=ec2)
    assert run_inspector(inspector, Attribute(type="ipaddr", value="10.9.9.9")).findings == []
    assert run_inspector(inspector, Attribute(type="ipaddr", value="8.8.8.8")).findings == []


def test_access_denied_fails_the_record_naming_the_permission(aws):
    ec2 = boto3.client("ec2", region_name="us-east-1")
    stub = Stubber(ec2)
    stub.add_client_error("describe_network_interfaces", service_error_code="UnauthorizedOperation",
                          service_message="You are not authorized to perform this operation.")
    with stub, pytest.raises(AuthenticationError, match="DescribeNetworkInterfaces"):
        run_inspector(aws_ec2.ec2_inspector(client=ec2),
                      Attribute(type="ipaddr", value="10.0.0.1"))


# --- IAM ---------------------------------------------------------------------------------------

@pytest.fixture
def iam(aws):
    client = boto3.client("iam", region_name="us-east-1")
    client.create_user(UserName="alice", Tags=[{"Key": "team", "Value": "sre"}])
    client.create_group(GroupName="admins")
    client.add_user_to_group(GroupName="admins", UserName="alice")
    document = json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"}]})
    policy = client.create_policy(PolicyName="read-only",
                                  PolicyDocument=document)["Policy"]["Arn"]
    client.attach_user_policy(UserName="alice", PolicyArn=policy)
    client.put_user_policy(UserName="alice", PolicyName="inline-s3", PolicyDocument=document)
    client.create_access_key(UserName="alice")
    client.create_role(RoleName="deploy", AssumeRolePolicyDocument="{}", Path="/ci/")
    return client


def test_a_user_name_brings_groups_policies_mfa_and_keys_as_a_json_attribute(iam):
    result = run_inspector(aws_iam.iam_inspector(client=iam),
                           Attribute(type="username", value="alice"))
    assert result.findings[0].type == "user"
    (detail,) = result.new_attributes
    assert (detail.type, detail.key, detail.context) == ("json", "aws_iam_user", ["local"])
    summary = json.loads(detail.value)
    assert summary["arn"] == "arn:aws:iam::123456789012:user/alice"
    assert summary["groups"] == ["admins"]
    assert summary["attached_policies"] == ["arn:aws:iam::123456789012:policy/read-only"]
    assert summary["inline_policies"] == ["inline-s3"]
    assert summary["mfa"] is False
    assert summary["tags"] == {"team": "sre"}
    (key,) = summary["access_keys"]
    assert key["id"].startswith("…")
    assert len(key["id"]) == 5  # only the last 4 characters of the key ID


@pytest.mark.parametrize("value", [
    "arn:aws:iam::123456789012:role/ci/deploy",
    "arn:aws:sts::123456789012:assumed-role/deploy/gh-actions-42",
    "deploy",  # no user of that name: the role
])
def test_role_arns_and_names_find_the_role(iam, value):
    result = run_inspector(aws_iam.iam_inspector(client=iam),
                           Attribute(type="username", value=value))
    (detail,) = result.new_attributes
    assert detail.key == "aws_iam_role"
    assert json.loads(detail.value)["arn"] == "arn:aws:iam::123456789012:role/ci/deploy"


def test_unknown_names_and_other_accounts_find_nothing(iam):
    inspector = aws_iam.iam_inspector(client=iam)
    for value in ("mallory", "arn:aws:iam::999999999999:user/alice", "a/b",
                  "arn:aws:s3:::bucket"):
        assert run_inspector(inspector, Attribute(type="username", value=value)).findings == []


def test_a_name_iam_cannot_hold_is_nothing_found():
    """IAM answers ValidationError for a name outside its character set."""
    client = boto3.client("iam", region_name="us-east-1")
    stub = Stubber(client)
    for operation, params in (("get_user", {"UserName": "DOMAIN\\alice"}),
                              ("get_role", {"RoleName": "DOMAIN\\alice"})):
        stub.add_client_error(operation, service_error_code="ValidationError",
                              service_message="The specified value for userName is invalid.",
                              expected_params=params)
    with stub:
        result = run_inspector(aws_iam.iam_inspector(client=client),
                               Attribute(type="username", value="DOMAIN\\alice"))
    assert result.findings == []
    stub.assert_no_pending_responses()


def test_last_uses_become_activities():
    """Shapes from the IAM API reference: GetUser (PasswordLastUsed), ListAccessKeys,
    GetAccessKeyLastUsed (https://docs.aws.amazon.com/IAM/latest/APIReference/)."""
    client = boto3.client("iam", region_name="us-east-1")
    used = datetime(2025, 1, 2, 3, 4, 5, tzinfo=timezone.utc)
    stub = Stubber(client)
    arn = "arn:aws:iam::123456789012:user/bob"
    stub.add_response("get_user", {"User": {
        "Path": "/", "UserName": "bob", "UserId": "AIDAEXAMPLEBOB0000000", "Arn": arn,
        "CreateDate": datetime(2024, 1, 1, tzinfo=timezone.utc), "PasswordLastUsed": used}},
        {"UserName": "bob"})
    stub.add_response("list_access_keys", {"AccessKeyMetadata": [{
        "UserName": "bob", "AccessKeyId": "AKIAIOSFODNN7EXAMPLE", "Status": "Active",
        "CreateDate": datetime(2024, 1, 1, tzinfo=timezone.utc)}]}, {"UserName": "bob"})
    stub.add_response("get_access_key_last_used", {"UserName": "bob", "AccessKeyLastUsed": {
        "LastUsedDate": used, "ServiceName": "s3", "Region": "eu-west-1"}},
        {"AccessKeyId": "AKIAIOSFODNN7EXAMPLE"})
    stub.add_response("list_mfa_devices", {"MFADevices": [{
        "UserName": "bob", "SerialNumber": "arn:aws:iam::123456789012:mfa/bob",
        "EnableDate": used}]}, {"UserName": "bob"})
    stub.add_response("list_groups_for_user", {"Groups": []}, {"UserName": "bob"})
    stub.add_response("list_attached_user_policies", {"AttachedPolicies": []},
                      {"UserName": "bob"})
    stub.add_response("list_user_policies", {"PolicyNames": []}, {"UserName": "bob"})
    with stub:
        result = run_inspector(aws_iam.iam_inspector(client=client),
                               Attribute(type="username", value="bob"))
    (user,) = result.contents
    signin, key = user.activities
    assert (signin.service_name, signin.principal, signin.action) == (
        "iam", arn, "console sign-in (password used)")
    assert str(signin.last_seen) == "2025-01-02T03:04:05Z"
    assert (key.service_name, key.target, key.action) == (
        "s3", "eu-west-1", "access key …MPLE (Active) used")
    assert json.loads(result.new_attributes[0].value)["mfa"] is True
    assert "AKIAIOSFODNN7EXAMPLE" not in result.new_attributes[0].value
