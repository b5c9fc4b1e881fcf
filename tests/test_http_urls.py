"""URL vetting: ``check_url``/``check_host`` and the client refusing bad URLs without a connection.

A URL that cannot be parsed, or whose host is an IPv4 address in a form resolvers read
differently from people (``0177.0.0.1`` is 127.0.0.1), must come out of the client as the
package's own ``InvalidUrl`` (a ``FetchError``), never as an httpx or ``ValueError``
exception, so one bad link costs one item. The refusal never quotes the URL.
"""
from __future__ import annotations

import pytest

from sources.errors import FetchError, InvalidUrl
from sources.http import build_client, check_host, check_url
from sources_testserver import LocalServer, Reply, server, test_settings, text_reply  # noqa: F401

ODD_LITERALS = [
    "http://0177.0.0.1/",  # octal
    "http://0x7f.1/",  # hex, two parts
    "http://0x7f000001/",
    "http://2130706433/",  # one integer
    "http://127.1/",  # shortened
    "http://127.0.1/",
    "http://127.0.0.1./",  # trailing dot
    "http://00127.0.0.1/",
    "http://1.2.3.4.5/",
    "http://256.0.0.1/",
    "http://example.123/",  # a last label that is a number makes it an address to browsers
    "http://example.0x10/",
]

UNPARSABLE = [
    "http://[::1",  # unbalanced bracket
    "http://[::1]x/",
    "http://[127.0.0.1]/",  # IPv4 in brackets
    "http://[fe80::1%25eth0]/",  # zone identifier
    "http://[12345::]/",
    "http://host:99999/",  # port out of range
    "http://host:0/",
    "http://host:+80/",  # httpx would drop this port silently
    "http://host:8o/",
    "http://a\x01b/",  # control characters
    "http://host/a\nb",
    "http://host/\x7f",
    " http://host/",
    "http:///path",  # empty host
    "http://",
    "http://:80/",
    "http://exa mple.com/",  # space in the host (httpx would send exa%20mple.com)
    "http://%31%32%37.0.0.1/",
    "http://a..b/",
    "http://xn--/",  # httpx raises idna's own error for this one
    "http://" + "a" * 64 + ".example/",  # a label over 63 characters
    "http://" + "a." * 130 + "example/",  # a name over 253 characters
    "http://host/" + "x" * 70000,
    "ftp://host/file",
    "file:///etc/passwd",
    "javascript:alert(1)",
    "//host/no-scheme",
    "",
]

GOOD = [
    "http://example.org/",
    "https://files.example.org:8443/a/b?c=d#e",
    "HTTP://EXAMPLE.org/Path",
    "http://user:secret@example.org/",
    "http://127.0.0.1:8080/",
    "http://[::1]:8080/x",
    "http://[2001:db8::1]/",
    "http://[::ffff:127.0.0.1]/",
    "http://example.org./",
    "http://bücher.example/",
    "http://host_name.example/",
    "http://example.org/a path/with spaces",
    "http://1e100.net/",
    "http://123.example.org/",
]


@pytest.mark.parametrize("url", ODD_LITERALS)
def test_ipv4_in_a_non_standard_form_is_refused(url: str) -> None:
    with pytest.raises(InvalidUrl, match="non-standard form"):
        check_url(url)


@pytest.mark.parametrize("url", UNPARSABLE)
def test_unparsable_urls_are_invalid_url_errors(url: str) -> None:
    with pytest.raises(InvalidUrl) as info:
        check_url(url)
    assert isinstance(info.value, FetchError) and info.value.failure_class == "invalid_url"


@pytest.mark.parametrize("url", ODD_LITERALS + UNPARSABLE)
def test_the_refusal_never_quotes_the_url(url: str) -> None:
    with pytest.raises(InvalidUrl) as info:
        check_url(url)
    message = str(info.value)
    host = url.split("//", 1)[-1].split("/", 1)[0]
    assert message.startswith("invalid URL: ") and (len(host) < 4 or host not in message)


@pytest.mark.parametrize("url", GOOD)
def test_ordinary_urls_pass_unchanged(url: str) -> None:
    assert check_url(url) == url


@pytest.mark.parametrize(
    ("host", "normal"),
    [("Example.ORG", "example.org"), ("[::1]", "::1"), ("0:0::1", "::1"), ("127.0.0.1", "127.0.0.1"),
     ("bücher.example", "xn--bcher-kva.example"), ("mirror.internal.", "mirror.internal.")],
)
def test_check_host_normalises(host: str, normal: str) -> None:
    assert check_host(host) == normal


@pytest.mark.parametrize("host", ["0177.0.0.1", "127.1", "2130706433", "", "a b", "a/b", "[127.0.0.1]", "fe80::1%eth0"])
def test_check_host_refuses(host: str) -> None:
    with pytest.raises(InvalidUrl):
        check_host(host)


@pytest.mark.parametrize("url", ["http://0177.0.0.1/", "http://0x7f.1/", "http://2130706433/", "http://127.1/",
                                 "http://[::1", "http://host:99999/", "http://a\x01b/", "http:///x", "http://xn--/"])
def test_the_client_raises_invalid_url_and_sends_nothing(server: LocalServer, url: str) -> None:  # noqa: F811
    # Even with private addresses allowed (tests), a refused URL is never sent anywhere.
    with build_client(test_settings(retries=2)) as c:
        with pytest.raises(InvalidUrl) as info:
            c.fetch(url)
    assert info.value.url == url and server.requests == []


@pytest.mark.parametrize("location", ["http://[::1", "http://host:99999/", "http://0177.0.0.1/", "http://a\x01b/"])
def test_an_unparsable_redirect_location_is_one_invalid_url(server: LocalServer, location: str) -> None:  # noqa: F811
    # httpx parses Location itself and used to raise RemoteProtocolError, which was retried.
    server.route("/go", Reply(302, b"", {"Location": location}))
    with build_client(test_settings(retries=2)) as c:
        with pytest.raises(InvalidUrl):
            c.fetch(server.url("/go"))
        server.route("/ok", text_reply("still working"))
        assert c.fetch(server.url("/ok")).content == b"still working"
    assert len(server.hits("/go")) == 1  # not retried as a protocol error
