"""Recipients: the built-in directory, RDAP in its real shapes, security.txt, the resolution order.

RDAP and security.txt are served by a local HTTP server on 127.0.0.1 answering the real
RDAP samples in tests/fixtures/workflow (see its README); host names resolve to 127.0.0.1
through the HTTP client's test resolver, so no DNS or outside network is used.
"""
from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from sources_testserver import (
    LocalServer,
    Reply,
    html_reply,
    json_reply,
    server,  # noqa: F401 - fixture
    test_settings,
    text_reply,
)
from workflow_support import workflow_settings

from sources.http import HttpClient, build_client
from tracker.errors import ConfigError
from tracker.workflow.recipients import directory, securitytxt
from tracker.workflow.recipients.model import Channel, Recipient, RecipientClass
from tracker.workflow.recipients.rdap import (
    network_abuse_contact,
    rdap_recipients,
    registered_domain,
    registrar_abuse_contact,
)
from tracker.workflow.recipients.resolve import resolve_chain

FIXTURES = Path(__file__).parent / "fixtures" / "workflow"


def rdap(name: str) -> dict[str, Any]:
    return json.loads((FIXTURES / f"rdap-{name}.json").read_text(encoding="utf-8"))


def with_registrar_abuse(email: str) -> dict[str, Any]:
    """The Verisign sample with the registrar's (empty) abuse email filled in."""
    answer = rdap("domain-verisign")
    abuse = answer["entities"][0]["entities"][0]
    for prop in abuse["vcardArray"][1]:
        if prop[0] == "email":
            prop[3] = email
    return answer


# --- directory ---------------------------------------------------------------------------------

@pytest.mark.parametrize(("host", "name", "rclass", "channel"), [
    ("pastebin.com", "Pastebin", "platform", "web_form"),
    ("gist.githubusercontent.com", "GitHub", "platform", "web_form"),
    ("raw.githubusercontent.com", "GitHub", "platform", "web_form"),
    ("www.google.com", "Google Search", "search_engine", "web_form"),
    ("drive.google.com", "Google Drive", "platform", "web_form"),  # more specific than google.com
    ("web.archive.org", "Internet Archive", "archive", "email"),
    ("mega.nz", "MEGA", "platform", "email"),
    ("www.dropbox.com", "Dropbox", "platform", "web_form"),
    ("www.mediafire.com", "MediaFire", "platform", "email"),
    ("leak.pages.dev", "Cloudflare", "cdn", "web_form"),
])
def test_directory_knows_the_common_platforms(host: str, name: str, rclass: str, channel: str) -> None:
    found = directory.lookup(host)
    assert found is not None
    assert (found.name, found.recipient_class, found.channel) == (name, rclass, channel)
    assert found.requires and found.source == "directory"


def test_directory_does_not_match_lookalike_hosts() -> None:
    assert directory.lookup("notgithub.com") is None
    assert directory.lookup("pastebin.com.evil.example") is None
    github = directory.lookup("github.com")
    assert github is not None and github.template == "github"
    assert "line numbers of the private information in each file" in github.requires


def test_recipient_round_trips_through_json() -> None:
    r = directory.by_name("Pastebin")
    assert r is not None and Recipient.from_dict(json.loads(json.dumps(r.to_dict()))) == r


# --- RDAP shapes ---------------------------------------------------------------------------------

def test_rdap_abuse_entity_at_top_level_apnic() -> None:
    contact = network_abuse_contact(rdap("ip-apnic"))
    assert contact is not None
    assert (contact.name, contact.email, contact.handle) == ("APNIC-LABS", "helpdesk@apnic.net", "IRT-APNICRANDNET-AU")


def test_rdap_abuse_email_typed_abuse_ripe() -> None:
    contact = network_abuse_contact(rdap("ip-ripe"))
    assert contact is not None and (contact.name, contact.email) == ("SWITCH-LAN", "abuse@switch.ch")


def test_rdap_abuse_nested_in_registrar_verisign() -> None:
    empty = registrar_abuse_contact(rdap("domain-verisign"))
    assert empty is not None  # the registrar is known even when its abuse values are empty
    assert (empty.name, empty.email) == ("RESERVED-Internet Assigned Numbers Authority", "")
    filled = registrar_abuse_contact(with_registrar_abuse("abuse@registrar.example"))
    assert filled is not None and filled.email == "abuse@registrar.example"
    assert network_abuse_contact(rdap("domain-verisign")) is None


def test_registered_domain() -> None:
    assert registered_domain("a.b.example.co.uk") == "example.co.uk"
    assert registered_domain("files.example.com.") == "example.com"


# --- against local servers -----------------------------------------------------------------------

def client_for() -> HttpClient:
    """A client whose resolver sends every name to 127.0.0.1 (the local test servers)."""
    return build_client(test_settings(resolver=lambda host: ["127.0.0.1"], retries=0))


def test_rdap_lookups_against_a_local_rdap_server(server: LocalServer) -> None:
    server.route("/ip/127.0.0.1", json_reply(rdap("ip-ripe"), headers={"Content-Type": "application/rdap+json"}))
    server.route("/domain/example.com", json_reply(with_registrar_abuse("abuse@registrar.example")))
    with client_for() as client:
        found = rdap_recipients(client, "files.example.com", base=server.base)
    assert [(r.name, r.recipient_class, r.address, r.source) for r in found] == [
        ("SWITCH-LAN", "host", "abuse@switch.ch", "rdap"),
        ("RESERVED-Internet Assigned Numbers Authority", "registrar", "abuse@registrar.example", "rdap"),
    ]
    assert [s.path for s in server.requests] == ["/ip/127.0.0.1", "/domain/example.com"]
    assert server.requests[0].headers["accept"].startswith("application/rdap+json")


def test_rdap_errors_only_shorten_the_chain(server: LocalServer) -> None:
    server.route("/ip/127.0.0.1", Reply(503, b"busy"))
    server.route("/domain/example.com", Reply(200, b"<html>not json</html>", {"Content-Type": "text/html"}))
    with client_for() as client:
        assert rdap_recipients(client, "files.example.com", base=server.base) == []


SECURITY_TXT = """# Our security policy
Contact: mailto:security@files.example.com
Contact: https://files.example.com/report
Contact: tel:+1-201-555-0123
Expires: 2030-01-01T00:00:00.000Z
Policy: https://files.example.com/policy
"""

SIGNED = """-----BEGIN PGP SIGNED MESSAGE-----
Hash: SHA256

Contact: mailto:abuse@signed.example
- -----not a real armour line
-----BEGIN PGP SIGNATURE-----
Contact: mailto:after-signature@example
-----END PGP SIGNATURE-----
"""


def test_security_txt_parsing() -> None:
    parsed = securitytxt.parse(SECURITY_TXT)
    assert parsed is not None
    assert parsed.contacts == ("mailto:security@files.example.com", "https://files.example.com/report",
                               "tel:+1-201-555-0123")
    assert parsed.policy == ("https://files.example.com/policy",)
    signed = securitytxt.parse(SIGNED)
    assert signed is not None and signed.contacts == ("mailto:abuse@signed.example",)
    assert securitytxt.parse("# nothing here\nExpires: 2030-01-01T00:00:00Z\n") is None


def test_security_txt_from_a_local_site(server: LocalServer) -> None:
    server.route("/.well-known/security.txt", text_reply(SECURITY_TXT))
    with client_for() as client:
        found = securitytxt.securitytxt_recipients(client, server.url("/files/leak.csv"))
    assert [(r.channel, r.address) for r in found] == [
        (Channel.EMAIL, "security@files.example.com"), (Channel.WEB_FORM, "https://files.example.com/report")]
    assert all(r.recipient_class is RecipientClass.HOST and r.policy_url for r in found)


def test_security_txt_soft_404_html_and_legacy_path(server: LocalServer) -> None:
    server.route("/.well-known/security.txt", html_reply("<html><body>Contact: mailto:x@y.z</body></html>"))
    server.route("/security.txt", text_reply("Contact: mailto:legacy@files.example.com\n"))
    with client_for() as client:
        found = securitytxt.securitytxt_recipients(client, server.url("/a"))
    assert [r.address for r in found] == ["legacy@files.example.com"]


# --- resolution order ---------------------------------------------------------------------------

def test_resolve_known_platform_skips_network_lookups(server: LocalServer) -> None:
    with client_for() as client:
        chain = resolve_chain("https://pastebin.com/raw/abc", workflow_settings(rdap_base=server.base), client)
    assert [r.name for r in chain] == ["Pastebin", "Google Search"]
    assert server.requests == []


def test_resolve_unknown_host_order_override_rdap_security_txt(server: LocalServer) -> None:
    server.route("/ip/127.0.0.1", json_reply(rdap("ip-apnic")))
    server.route("/domain/example.com", json_reply(with_registrar_abuse("abuse@registrar.example")))
    server.route("/.well-known/security.txt", text_reply("Contact: mailto:security@files.example.com\n"))
    url = f"http://files.example.com:{server.port}/dump.csv"
    with client_for() as client:
        chain = resolve_chain(url, workflow_settings(rdap_base=server.base), client)
        assert [(r.source, r.recipient_class, r.address) for r in chain] == [
            ("rdap", "host", "helpdesk@apnic.net"),
            ("security.txt", "host", "security@files.example.com"),
            ("rdap", "registrar", "abuse@registrar.example"),
            ("directory", "search_engine", "https://support.google.com/websearch/answer/9673730"),
        ]
        settings = workflow_settings(rdap_base=server.base, recipients={
            "example.com": {"name": "Analyst pick", "address": "legal@files.example.com", "class": "platform"}})
        chain = resolve_chain(url, settings, client)
    assert chain[0] == Recipient("Analyst pick", RecipientClass.PLATFORM, Channel.EMAIL,
                                 "legal@files.example.com", "override")
    assert len(chain) == 5


def test_resolve_offline_falls_back_to_delisting() -> None:
    chain = resolve_chain("https://unknown.example/x", workflow_settings(), None)
    assert [r.name for r in chain] == ["Google Search"]
    archive = resolve_chain("https://web.archive.org/web/2024/https://x.example/", workflow_settings(), None)
    assert [r.name for r in archive] == ["Internet Archive"]
    assert resolve_chain("/srv/drop/leak.csv", workflow_settings(), None) == []


def test_cloudflare_network_becomes_the_cdn_entry(server: LocalServer) -> None:
    answer = rdap("ip-ripe")
    answer["name"] = "CLOUDFLARENET"
    server.route("/ip/127.0.0.1", json_reply(answer))
    with client_for() as client:
        chain = resolve_chain(f"http://127.0.0.1:{server.port}/x", workflow_settings(rdap_base=server.base), client)
    assert chain[0].name == "Cloudflare" and chain[0].recipient_class is RecipientClass.CDN


def test_override_config_errors_name_the_key() -> None:
    with pytest.raises(ConfigError, match=r'workflow.recipients."x.example".address: missing'):
        workflow_settings(recipients={"x.example": {"name": "n"}})
    with pytest.raises(ConfigError, match="channel is one of email, web_form"):
        workflow_settings(recipients={"x.example": {"address": "a@b", "channel": "fax"}})
