"""The PEM input policy, over the openssl-made corpus and a few certificates made here."""

from __future__ import annotations

import contextlib
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.x509.oid import NameOID
from hypothesis import given, settings
from hypothesis import strategies as st

from frontdoor_mcp.pki.errors import PemError
from frontdoor_mcp.pki.inspect import describe_pem
from frontdoor_mcp.pki.policy import MAX_PEM_BYTES, PemPolicyError, check_certificate, check_csr

CORPUS = Path(__file__).parent / "corpus"
_BASE64_LINE = re.compile(r"[A-Za-z0-9+/=]{16,}")

# (file, which check, expected rule or None when accepted). Every corpus file appears at least once.
CASES: list[tuple[str, str, str | None]] = [
    ("cert-p256-valid.pem", "certificate", None),
    ("cert-leaf-rsa2048-valid.pem", "certificate", None),
    ("cert-rsa1024.pem", "certificate", "key_strength"),
    ("cert-rsa2048-e3.pem", "certificate", "key_strength"),
    ("cert-p521.pem", "certificate", "key_strength"),
    ("cert-dsa.pem", "certificate", "key_strength"),
    ("cert-ed25519.pem", "certificate", "key_strength"),
    ("cert-sha1.pem", "certificate", "signature_algorithm"),
    ("cert-md5.pem", "certificate", "signature_algorithm"),
    ("cert-expired.pem", "certificate", "expired"),
    ("cert-not-yet-valid.pem", "certificate", "not_yet_valid"),
    ("chain-two-certs.pem", "certificate", "block_count"),
    ("bundle-cert-and-key.pem", "certificate", "private_key"),
    ("key-p256-pkcs8.pem", "certificate", "private_key"),
    ("key-encrypted-pkcs8.pem", "certificate", "private_key"),
    ("key-rsa-traditional.pem", "certificate", "private_key"),
    ("key-ec-traditional.pem", "certificate", "private_key"),
    ("key-openssh.pem", "certificate", "private_key"),
    ("key-bare-base64.txt", "certificate", "private_key"),
    ("oversize.pem", "certificate", "size"),
    ("garbage-cert.pem", "certificate", "parse"),
    ("truncated-cert.pem", "certificate", "parse"),
    ("public-key.pem", "certificate", "block_type"),
    ("csr-rsa2048-valid.pem", "certificate", "block_type"),
    ("csr-rsa2048-valid.pem", "csr", None),
    ("csr-new-label-valid.pem", "csr", None),
    ("csr-p384-valid.pem", "csr", None),
    ("csr-rsa1024.pem", "csr", "key_strength"),
    ("csr-ed25519.pem", "csr", "key_strength"),
    ("csr-sha1.pem", "csr", "signature_algorithm"),
    ("csr-tampered.pem", "csr", "signature"),
    ("cert-p256-valid.pem", "csr", "block_type"),
    ("bundle-cert-and-key.pem", "csr", "private_key"),
    ("key-encrypted-pkcs8.pem", "csr", "private_key"),
    ("key-bare-base64.txt", "csr", "private_key"),
    ("chain-two-certs.pem", "csr", "block_count"),
    ("oversize.pem", "csr", "size"),
]


def _corpus_text(name: str) -> str:
    return (CORPUS / name).read_text()


def _assert_no_input_in(message: str, text: str) -> None:
    for line in text.splitlines():
        stripped = line.strip()
        if _BASE64_LINE.fullmatch(stripped):
            assert stripped not in message


def test_every_corpus_sample_has_a_case() -> None:
    samples = {p.name for p in CORPUS.iterdir() if p.suffix in (".pem", ".txt")}
    assert samples == {name for name, _, _ in CASES}


@pytest.mark.parametrize(("name", "kind", "rule"), CASES, ids=[f"{k}:{n}" for n, k, _ in CASES])
def test_corpus(name: str, kind: str, rule: str | None) -> None:
    text = _corpus_text(name)
    check = check_certificate if kind == "certificate" else check_csr
    if rule is None:
        check(text)
        return
    with pytest.raises(PemPolicyError) as caught:
        check(text)
    assert caught.value.rule == rule
    _assert_no_input_in(str(caught.value), text)


@pytest.mark.parametrize("name", sorted({name for name, _, _ in CASES}))
def test_describe_never_quotes_input(name: str) -> None:
    text = _corpus_text(name)
    try:
        describe_pem(text)
    except PemError as err:
        _assert_no_input_in(str(err), text)


def test_private_key_message_says_what_to_give() -> None:
    with pytest.raises(PemPolicyError) as caught:
        check_certificate(_corpus_text("bundle-cert-and-key.pem"))
    assert "never be sent" in str(caught.value)
    assert "-----BEGIN CERTIFICATE-----" in str(caught.value)


def test_size_is_checked_first() -> None:
    # Size comes first, as documented: an oversize input is refused without being scanned for anything.
    text = _corpus_text("key-p256-pkcs8.pem") + "\n" * (MAX_PEM_BYTES + 1)
    with pytest.raises(PemPolicyError) as caught:
        check_certificate(text)
    assert caught.value.rule == "size"


@pytest.mark.parametrize(
    "marker",
    [
        "-----BEGIN PRIVATE KEY-----",
        "-----begin rsa private key-----",
        "----- BEGIN  EC PRIVATE  KEY -----",
        "-----BEGIN ANY PRIVATE KEY-----",
        "PuTTY-User-Key-File-3: ssh-ed25519",
    ],
)
def test_private_key_markers_refused_even_when_malformed(marker: str) -> None:
    text = _corpus_text("cert-p256-valid.pem") + f"\n{marker}\nnot even base64\n"
    with pytest.raises(PemPolicyError) as caught:
        check_certificate(text)
    assert caught.value.rule == "private_key"


def test_csr_is_pointed_to_the_csr_tool() -> None:
    with pytest.raises(PemPolicyError) as caught:
        check_certificate(_corpus_text("csr-rsa2048-valid.pem"))
    assert "create_client_certificate_from_csr" in str(caught.value)


def test_no_block_at_all() -> None:
    with pytest.raises(PemPolicyError) as caught:
        check_certificate("   ")
    assert caught.value.rule == "block_count"
    assert "found no PEM block" in str(caught.value)


def test_policy_error_is_a_pem_error_and_value_error() -> None:
    assert issubclass(PemPolicyError, PemError)
    assert issubclass(PemPolicyError, ValueError)


def test_certificate_is_normalised() -> None:
    text = _corpus_text("cert-p256-valid.pem")
    messy = "Certificate:\n    Data: ...\n\r\n  " + text.replace("\n", "\r\n") + "\r\n\r\n"
    checked = check_certificate(messy)
    assert checked.pem == text
    assert checked.warnings == []
    assert checked.details.subject == "CN=corpus-p256,O=frontdoor-mcp tests"


def test_json_escaped_newlines_are_accepted() -> None:
    text = _corpus_text("cert-p256-valid.pem")
    assert check_certificate(text.replace("\n", "\\n")).pem == text


def test_new_certificate_request_label_is_normalised() -> None:
    checked = check_csr(_corpus_text("csr-new-label-valid.pem"))
    assert checked.pem == _corpus_text("csr-rsa2048-valid.pem")
    assert checked.pem.startswith("-----BEGIN CERTIFICATE REQUEST-----\n")


def test_expiring_soon_is_accepted_with_a_warning() -> None:
    text = _corpus_text("cert-p256-valid.pem")
    not_after = check_certificate(text).details.not_after
    checked = check_certificate(text, now=not_after - timedelta(days=10, hours=1))
    assert checked.details.days_remaining == 10
    assert len(checked.warnings) == 1
    assert "expires in 10 days" in checked.warnings[0]
    assert check_certificate(text, now=not_after - timedelta(days=31)).warnings == []
    last_hour = check_certificate(text, now=not_after - timedelta(hours=1)).warnings
    assert "expires in less than a day" in last_hour[0]


def test_validity_is_judged_against_now() -> None:
    text = _corpus_text("cert-p256-valid.pem")
    details = check_certificate(text).details
    with pytest.raises(PemPolicyError) as caught:
        check_certificate(text, now=details.not_after + timedelta(seconds=1))
    assert caught.value.rule == "expired"
    assert details.not_after.strftime("%Y-%m-%d") in str(caught.value)
    with pytest.raises(PemPolicyError) as caught:
        check_certificate(text, now=details.not_before - timedelta(minutes=5))
    assert caught.value.rule == "not_yet_valid"
    assert "clock" in str(caught.value)


@pytest.fixture(scope="module")
def rsa_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def _cert_pem(
    key: rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey,
    digest: hashes.SHA224 | hashes.SHA256 | hashes.SHA384,
    rsa_padding: padding.PSS | None = None,
) -> str:
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "made-here")])
    now = datetime.now(UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(1)
        .not_valid_before(now - timedelta(days=1))
        .not_valid_after(now + timedelta(days=90))
        .sign(key, digest, rsa_padding=rsa_padding)
    )
    return cert.public_bytes(serialization.Encoding.PEM).decode()


def test_rsa_pss_with_sha256_is_accepted(rsa_key: rsa.RSAPrivateKey) -> None:
    pss = padding.PSS(mgf=padding.MGF1(hashes.SHA256()), salt_length=32)
    checked = check_certificate(_cert_pem(rsa_key, hashes.SHA256(), pss))
    assert checked.details.signature_algorithm == "rsassaPss"


def test_sha224_is_refused() -> None:
    key = ec.generate_private_key(ec.SECP256R1())
    with pytest.raises(PemPolicyError) as caught:
        check_certificate(_cert_pem(key, hashes.SHA224()))
    assert caught.value.rule == "signature_algorithm"
    assert "ecdsa-with-SHA224" in str(caught.value)


def test_p384_with_sha384_is_accepted() -> None:
    key = ec.generate_private_key(ec.SECP384R1())
    details = check_certificate(_cert_pem(key, hashes.SHA384())).details
    assert (details.key_type, details.curve, details.key_size) == ("EC", "secp384r1", 384)


@pytest.mark.parametrize("key_file", ["key-encrypted-pkcs8.pem", "key-openssh.pem", "key-rsa-traditional.pem"])
def test_bare_base64_keys_of_every_kind_are_refused(key_file: str) -> None:
    body = "\n".join(_corpus_text(key_file).strip().splitlines()[1:-1])  # the base64 without BEGIN/END lines
    text = _corpus_text("cert-p256-valid.pem") + "\n" + body + "\n"
    with pytest.raises(PemPolicyError) as caught:
        check_certificate(text)
    assert caught.value.rule == "private_key"
    _assert_no_input_in(str(caught.value), text)


def test_bare_base64_that_is_not_a_key_is_not_called_one() -> None:
    cert = _corpus_text("cert-p256-valid.pem")
    body = "\n".join(cert.strip().splitlines()[1:-1])
    with pytest.raises(PemPolicyError) as caught:
        check_certificate(body)
    assert caught.value.rule == "block_count"


_PEM_PIECES = ["-----BEGIN CERTIFICATE-----", "-----END CERTIFICATE-----", "\n", "\\n", "MIIB", "==", " ", "A"]


@settings(max_examples=100, deadline=None)
@given(st.one_of(st.text(max_size=300), st.lists(st.sampled_from(_PEM_PIECES), max_size=30).map("".join)))
def test_any_text_is_refused_with_a_policy_error_or_accepted(text: str) -> None:
    # Anything else escaping (IndexError, UnicodeError, a cryptography exception) fails the test.
    for check in (check_certificate, check_csr):
        with contextlib.suppress(PemPolicyError):
            check(text)
