"""WS-UsernameToken digest and HTTP Digest, both directions, with published vectors."""

from __future__ import annotations

import base64
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from lxml import etree

from callpoint.codecs.soap import build_envelope, parse_envelope
from callpoint.onvif.errors import LocalProtocolError, NotAuthorizedFault, RemoteProtocolError
from callpoint.onvif.httpdigest import DigestAuthError, parse_challenges
from callpoint.onvif.namespaces import WSSE, WSSE_PASSWORD_TEXT, WSU, qname
from callpoint.onvif.security import (
    DigestChallenge,
    NonceCache,
    digest_authorization,
    format_created,
    make_challenge,
    make_nonce,
    parse_authorization,
    parse_challenge,
    password_digest,
    username_token,
    verify_digest,
    verify_username_token,
)

NOW = datetime(2026, 11, 21, 6, 0, 0, tzinfo=UTC)
USERS = {"admin": "s3cret", "operator": "pw"}


def test_password_digest_matches_the_onvif_programmers_guide_vector() -> None:
    # ONVIF Application Programmer's Guide, section 6.1.1.3 example.
    nonce = base64.b64decode("LKqI6G/AikKCQrN0zqZFlg==")
    assert password_digest(nonce, "2010-09-16T07:50:45Z", "userpassword") == (
        "tuOSpGlFlIXsozq4HFNeeGeFLEI="
    )


def test_created_is_utc_with_milliseconds() -> None:
    t = datetime(2026, 1, 2, 4, 5, 6, 789123, tzinfo=UTC) + timedelta(hours=0)
    assert format_created(t) == "2026-01-02T04:05:06.789Z"
    with pytest.raises(LocalProtocolError):
        format_created(datetime(2026, 1, 2))  # naive on purpose


def test_username_token_round_trips_through_an_envelope() -> None:
    header = username_token("admin", "s3cret", NOW)
    env = parse_envelope(build_envelope(None, [header]))
    cache = NonceCache(window_s=600)
    assert verify_username_token(env.headers, USERS.get, NOW, 300, cache) == "admin"
    assert len(cache) == 1


def test_replayed_token_is_refused() -> None:
    env = parse_envelope(build_envelope(None, [username_token("admin", "s3cret", NOW)]))
    cache = NonceCache(window_s=600)
    verify_username_token(env.headers, USERS.get, NOW, 300, cache)
    with pytest.raises(NotAuthorizedFault, match="Replayed"):
        verify_username_token(env.headers, USERS.get, NOW + timedelta(seconds=1), 300, cache)


@pytest.mark.parametrize(
    ("user", "password", "skew_s"),
    [
        ("admin", "wrong", 0),
        ("nobody", "s3cret", 0),
        ("admin", "s3cret", 301),
        ("admin", "s3cret", -301),
    ],
)
def test_bad_tokens_are_not_authorized(user: str, password: str, skew_s: int) -> None:
    header = username_token(user, password, NOW + timedelta(seconds=skew_s))
    with pytest.raises(NotAuthorizedFault):
        verify_username_token(header, USERS.get, NOW, 300, NonceCache(600))


def test_missing_security_header_is_not_authorized() -> None:
    with pytest.raises(NotAuthorizedFault, match="No WS-Security"):
        verify_username_token((), USERS.get, NOW)


def test_password_text_only_when_allowed() -> None:
    header = username_token("admin", "s3cret", NOW)
    pw = header.find(f".//{qname(WSSE, 'Password')}")
    assert pw is not None
    pw.set("Type", WSSE_PASSWORD_TEXT)
    pw.text = "s3cret"
    with pytest.raises(NotAuthorizedFault):
        verify_username_token(header, USERS.get, NOW)
    assert verify_username_token(header, USERS.get, NOW, allow_password_text=True) == "admin"


def test_malformed_nonce_and_created_are_not_authorized() -> None:
    header = username_token("admin", "s3cret", NOW)
    nonce = header.find(f".//{qname(WSSE, 'Nonce')}")
    assert nonce is not None
    nonce.text = "***"
    with pytest.raises(NotAuthorizedFault, match="Malformed"):
        verify_username_token(header, USERS.get, NOW)
    header = username_token("admin", "s3cret", NOW)
    created = header.find(f".//{qname(WSU, 'Created')}")
    assert created is not None
    created.text = "yesterday"
    with pytest.raises(NotAuthorizedFault, match="Malformed"):
        verify_username_token(header, USERS.get, NOW)


def test_nonce_cache_is_bounded_and_expires() -> None:
    cache = NonceCache(window_s=10, max_entries=3)
    for i in range(5):
        assert cache.check_and_add(i, now=0)
    assert len(cache) == 3
    assert not cache.check_and_add(4, now=5)
    assert cache.check_and_add(4, now=20)  # expired, so accepted again
    assert len(cache) == 1


# RFC 7616 section 3.9.1.
RFC_CHALLENGE = (
    'Digest realm="http-auth@example.org", qop="auth, auth-int", algorithm=SHA-256, '
    'nonce="7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v", '
    'opaque="FQhe/qaU925kfnzjCev0ciny7QMkPqMAFRtzCUYo5tdS", '
    'Digest realm="http-auth@example.org", qop="auth, auth-int", algorithm=MD5, '
    'nonce="7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v", '
    'opaque="FQhe/qaU925kfnzjCev0ciny7QMkPqMAFRtzCUYo5tdS"'
)
RFC_CNONCE = "f2/wE4q74E6zIJEtWaHKaf5wv/H5QzzpXusqGemxURZJ"


def test_rfc7616_vectors_for_md5_and_sha256() -> None:
    challenges = parse_challenges(RFC_CHALLENGE)
    assert [c.algorithm for c in challenges] == ["SHA-256", "MD5"]
    assert parse_challenge(RFC_CHALLENGE).algorithm == "SHA-256"
    expected = {
        "SHA-256": "753927fa0e85d155564e2e272a28d1802ca10daf4496794697cf8db5856cb6c1",
        "MD5": "8ca523f5e9506fed4657c9700eebdbec",
    }
    for ch in challenges:
        header = digest_authorization(
            ch, "GET", "/dir/index.html", "Mufasa", "Circle of Life", RFC_CNONCE, 1
        )
        cred = parse_authorization(header)
        assert cred.response == expected[ch.algorithm]
        assert cred.nc == "00000001"
        assert cred.opaque == ch.opaque


def test_rfc2617_legacy_vector_and_basic_scheme_skipped() -> None:
    header = (
        'Basic realm="x", Digest realm="testrealm@host.com", qop="auth,auth-int", '
        'nonce="dcd98b7102dd2f0e8b11d0f600bfb0c093", opaque="5ccc069c403ebaf9f0171e9517f40e41"'
    )
    auth = digest_authorization(
        header, "GET", "/dir/index.html", "Mufasa", "Circle Of Life", "0a4f113b", 1
    )
    assert parse_authorization(auth).response == "6629fae49393a05397450978507c4ef1"


def test_challenge_without_qop_uses_rfc2069_form() -> None:
    ch = DigestChallenge(realm="r", nonce="n")
    cred = parse_authorization(digest_authorization(ch, "POST", "/onvif", "u", "p", "c", 1))
    assert cred.qop is None and cred.nc is None


@pytest.mark.parametrize("algorithm", ["MD5", "SHA-256", "MD5-sess", "SHA-256-sess"])
def test_client_and_server_agree(algorithm: str) -> None:
    secret = b"k" * 32
    challenge = make_challenge("cam", make_nonce(secret, 1000.0), algorithm=algorithm, opaque="o")
    auth = digest_authorization(
        challenge, "POST", "/onvif/device_service", "admin", "s3cret", "abc", 1
    )
    user = verify_digest(
        auth,
        "POST",
        USERS.get,
        realm="cam",
        secret=secret,
        now=1010.0,
        uri="/onvif/device_service",
        nonce_cache=NonceCache(600),
    )
    assert user == "admin"


def test_server_refuses_wrong_password_foreign_nonce_stale_and_replay() -> None:
    secret = b"k" * 32
    ch = make_challenge("cam", make_nonce(secret, 1000.0))
    good = digest_authorization(ch, "POST", "/onvif", "admin", "s3cret", "abc", 1)
    bad = digest_authorization(ch, "POST", "/onvif", "admin", "nope", "abc", 1)
    with pytest.raises(DigestAuthError) as info:
        verify_digest(bad, "POST", USERS.get, realm="cam", secret=secret, now=1001.0)
    assert info.value.http_status == 401 and not info.value.stale
    foreign = digest_authorization(
        make_challenge("cam", make_nonce(b"other", 1000.0)),
        "POST",
        "/onvif",
        "admin",
        "s3cret",
        "abc",
        1,
    )
    with pytest.raises(DigestAuthError, match="not issued"):
        verify_digest(foreign, "POST", USERS.get, realm="cam", secret=secret, now=1001.0)
    with pytest.raises(DigestAuthError) as info:
        verify_digest(good, "POST", USERS.get, realm="cam", secret=secret, now=2000.0)
    assert info.value.stale
    cache = NonceCache(600)
    verify_digest(
        good, "POST", USERS.get, realm="cam", secret=secret, now=1001.0, nonce_cache=cache
    )
    with pytest.raises(DigestAuthError, match="replayed"):
        verify_digest(
            good, "POST", USERS.get, realm="cam", secret=secret, now=1002.0, nonce_cache=cache
        )


def test_no_usable_challenge_is_a_remote_error() -> None:
    with pytest.raises(RemoteProtocolError):
        parse_challenge('Basic realm="x"')
    with pytest.raises(RemoteProtocolError):
        parse_challenge('Digest realm="x", nonce="y", algorithm=SHA-512-256')


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=200))
def test_fuzz_auth_header_parsers_only_raise_remote_errors(value: str) -> None:
    try:
        challenges = parse_challenges(value)
    except RemoteProtocolError:
        challenges = []
    assert all(c.realm is not None and c.nonce is not None for c in challenges)
    with pytest.raises(NotAuthorizedFault):
        verify_digest(value, "POST", USERS.get, realm="cam", secret=b"k", now=0.0)


def test_username_token_element_shape() -> None:
    header = username_token("admin", "s3cret", NOW, nonce=b"\x01" * 16)
    assert header.tag == qname(WSSE, "Security")
    token = header.find(qname(WSSE, "UsernameToken"))
    assert token is not None
    assert token.findtext(qname(WSU, "Created")) == "2026-11-21T06:00:00.000Z"
    assert token.findtext(qname(WSSE, "Nonce")) == base64.b64encode(b"\x01" * 16).decode()
    assert etree.tostring(header).count(b"mustUnderstand") == 1


def test_template_token_equals_the_element_token() -> None:
    from callpoint.onvif.security import username_token_xml
    from callpoint.onvif.xmlsafe import parse_xml

    nonce = b"\x07" * 16
    fast = parse_xml(username_token_xml('a<&>"b', "pw", NOW, nonce))
    slow = username_token('a<&>"b', "pw", NOW, nonce)
    assert etree.tostring(fast, method="c14n") == etree.tostring(slow, method="c14n")
    users = {'a<&>"b': "pw"}
    env = parse_envelope(build_envelope(None, [username_token_xml('a<&>"b', "pw", NOW)]))
    assert verify_username_token(env.headers, users.get, NOW) == 'a<&>"b'


@settings(max_examples=300, deadline=None)
@given(
    st.text(max_size=30),
    st.text(max_size=60),
    st.text(max_size=60),
    st.text(max_size=40),
    st.sampled_from(["#PasswordDigest", "#PasswordText", "", "bogus"]),
)
def test_fuzz_username_token_fields_only_not_authorized(
    user: str, password: str, nonce: str, created: str, kind: str
) -> None:
    from callpoint.onvif.namespaces import WSSE_PASSWORD_DIGEST

    header = username_token("admin", "s3cret", NOW)
    token = header[0]
    fields = {"Username": user, "Password": password, "Nonce": nonce, "Created": created}
    for el in token:
        name = etree.QName(el).localname
        try:
            el.text = fields[name]
        except ValueError:
            return  # not representable in XML: nothing a peer could send
    pw = token.find(qname(WSSE, "Password"))
    assert pw is not None
    pw.set("Type", WSSE_PASSWORD_DIGEST.replace("#PasswordDigest", kind) if kind else "x")
    try:
        got = verify_username_token(
            header, USERS.get, NOW, 300, NonceCache(600), allow_password_text=True
        )
    except NotAuthorizedFault:
        return
    assert got in USERS
