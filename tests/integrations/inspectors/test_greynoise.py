"""GreyNoise Community against canned answers shaped like the documented ones.

Shapes from https://docs.greynoise.io/reference/get_v3-community-ip (200 with ``ip``,
``noise``, ``riot``, ``classification``, ``name``, ``link``, ``last_seen``, ``message``;
404 "IP not observed ..."; 429 with ``plan``, ``rate-limit``, ``plan_url``, ``message``).
"""

from __future__ import annotations

import pytest

from deepalert import Attribute
from deepalert.integrations import greynoise
from deepalert.lookup import MalformedResponseError, RateLimitedError
from deepalert.testing import CannedResponse, run_inspector

from .conftest import API_KEYS

SCANNER = {"ip": "71.6.135.131", "noise": True, "riot": False, "classification": "benign",
           "name": "Shodan.io", "link": "https://viz.greynoise.io/ip/71.6.135.131",
           "last_seen": "2025-01-14", "message": "Success"}
RIOT = {"ip": "8.8.8.8", "noise": False, "riot": True, "classification": "benign",
        "name": "Google Public DNS", "link": "https://viz.greynoise.io/riot/8.8.8.8",
        "last_seen": "2025-01-14", "message": "Success"}
UNSEEN = {"ip": "93.184.216.34", "noise": False, "riot": False,
          "message": "IP not observed scanning the internet or contained in RIOT data set."}


@pytest.fixture
def inspector(api, secrets, retry):
    return greynoise.greynoise_inspector(base_url=api.url, retry=retry)


def test_a_scanner_gets_an_activity_and_the_visualizer_link(api, inspector):
    api.route("GET /community/71.6.135.131", CannedResponse(json=SCANNER))
    (host,) = run_inspector(inspector, Attribute(type="ipaddr", value="71.6.135.131")).contents
    assert host.owner == ["Shodan.io"]
    (activity,) = host.activities
    assert activity.action == "scanning the internet (classification: benign)"
    assert str(activity.last_seen) == "2025-01-14T00:00:00Z"
    (link,) = host.related_urls
    assert link.url == "https://viz.greynoise.io/ip/71.6.135.131"
    assert link.reference == "classification: benign; noise: yes; riot: no"
    assert api.requests[0].headers["key"] == API_KEYS["greynoise_token"]


def test_a_riot_service_has_no_scanning_activity(api, inspector):
    api.route("GET /community/8.8.8.8", CannedResponse(json=RIOT))
    (host,) = run_inspector(inspector, Attribute(type="ipaddr", value="8.8.8.8")).contents
    assert host.activities is None
    assert host.related_urls[0].reference == "classification: benign; noise: no; riot: yes"


def test_an_unseen_ip_is_nothing_found(api, inspector):
    api.route("GET /community/93.184.216.34", CannedResponse(status=404, json=UNSEEN))
    assert run_inspector(inspector, Attribute(type="ipaddr", value="93.184.216.34")
                         ).findings == []


def test_the_plan_limit_fails_the_record(api, inspector):
    api.route("GET /community/8.8.4.4", CannedResponse(status=429, json={
        "plan": "unauthenticated", "rate-limit": "100-lookups/week",
        "plan_url": "https://greynoise.io/pricing",
        "message": "You have hit your daily rate limit of 100 requests."}))
    with pytest.raises(RateLimitedError):
        run_inspector(inspector, Attribute(type="ipaddr", value="8.8.4.4"))


def test_anonymous_sends_no_key(api, retry):
    inspector = greynoise.greynoise_inspector(base_url=api.url, retry=retry, anonymous=True)
    api.route("GET /community/8.8.8.8", CannedResponse(json=RIOT))
    run_inspector(inspector, Attribute(type="ipaddr", value="8.8.8.8"))
    assert "key" not in api.requests[0].headers


def test_a_wrongly_typed_field_is_malformed(api, inspector):
    api.route("GET /community/8.8.8.8", CannedResponse(json={**RIOT, "noise": "yes"}))
    with pytest.raises(MalformedResponseError, match="noise"):
        run_inspector(inspector, Attribute(type="ipaddr", value="8.8.8.8"))
