"""Key and CSR generation."""

from __future__ import annotations

from typing import cast

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa

from frontdoor_mcp.pki.csr import KEY_TYPES, KeyType, NewKeyAndCsr, SubjectFields, generate_key_and_csr
from frontdoor_mcp.pki.policy import check_csr


@pytest.fixture(scope="module")
def generated() -> NewKeyAndCsr:
    subject = SubjectFields(
        common_name="api-client-prod",
        organization="Example Corp",
        organizational_unit="Platform",
        country="us",
        state="NC",
        locality="Charlotte",
        email="ops@example.com",
    )
    return generate_key_and_csr(
        subject,
        dns_names=["Client.Example.com.", "*.svc.example.com", "client.example.com"],
        ip_addresses=["10.0.0.1", " 2001:db8::1 "],
    )


def test_csr_passes_policy_and_describes(generated: NewKeyAndCsr) -> None:
    checked = check_csr(generated.csr_pem)
    assert checked.pem == generated.csr_pem
    details = checked.details
    assert details.subject == generated.subject
    assert details.subject == (
        "emailAddress=ops@example.com,CN=api-client-prod,OU=Platform,O=Example Corp,L=Charlotte,ST=NC,C=US"
    )
    assert details.subject_alternative_names == [
        "DNS:client.example.com",
        "DNS:*.svc.example.com",
        "IP:10.0.0.1",
        "IP:2001:db8::1",
    ]
    assert (details.key_type, details.curve, details.signature_algorithm) == ("EC", "secp256r1", "ecdsa-with-SHA256")
    assert details.signature_valid
    assert details.public_key_sha256 == generated.public_key_sha256


def test_private_key_is_unencrypted_pkcs8_of_the_csr(generated: NewKeyAndCsr) -> None:
    assert generated.private_key_pem.startswith(b"-----BEGIN PRIVATE KEY-----\n")
    key = serialization.load_pem_private_key(generated.private_key_pem, password=None)
    csr = x509.load_pem_x509_csr(generated.csr_pem.encode())
    assert key.public_key() == csr.public_key()


def test_private_key_never_in_repr(generated: NewKeyAndCsr) -> None:
    body = generated.private_key_pem.decode().splitlines()[1]
    for rendered in (repr(generated), str(generated)):
        assert "PRIVATE" not in rendered
        assert body not in rendered
        assert generated.public_key_sha256 in rendered


@pytest.mark.parametrize("key_type", KEY_TYPES)
def test_every_key_type(key_type: KeyType) -> None:
    result = generate_key_and_csr(SubjectFields(common_name="kt"), key_type=key_type)
    details = check_csr(result.csr_pem).details
    key = serialization.load_pem_private_key(result.private_key_pem, password=None)
    family, size = key_type.split("-")
    if family == "rsa":
        assert isinstance(key, rsa.RSAPrivateKey)
        assert key.key_size == int(size)
        assert details.signature_algorithm == "sha256WithRSAEncryption"
    else:
        assert isinstance(key, ec.EllipticCurvePrivateKey)
        assert details.curve == {"p256": "secp256r1", "p384": "secp384r1"}[size]
    assert details.subject == "CN=kt"
    assert details.subject_alternative_names == []


@pytest.mark.parametrize(
    ("subject", "fragment"),
    [
        (SubjectFields(common_name="  "), "common_name is required"),
        (SubjectFields(common_name="x" * 65), "common_name must be at most 64"),
        (SubjectFields(common_name="a\nb"), "control characters"),
        (SubjectFields(common_name="ok", country="USA"), "2-letter"),
        (SubjectFields(common_name="ok", country="1A"), "2-letter"),
        (SubjectFields(common_name="ok", email="not-an-address"), "email must be"),
        (SubjectFields(common_name="ok", organization="o" * 65), "organization must be at most 64"),
        (SubjectFields(common_name="ok", locality="l" * 129), "locality must be at most 128"),
    ],
)
def test_subject_validation(subject: SubjectFields, fragment: str) -> None:
    with pytest.raises(ValueError, match=fragment):
        generate_key_and_csr(subject)


@pytest.mark.parametrize(
    ("dns_names", "ip_addresses", "fragment"),
    [
        (["bad_name.example.com"], [], "not a valid host name"),
        (["-lead.example.com"], [], "not a valid host name"),
        (["a..b"], [], "not a valid host name"),
        (["*.com"], [], "not a valid host name"),
        (["bücher.example"], [], "punycode"),
        ([], ["10.0.0.256"], "not a valid IPv4 or IPv6"),
        ([], ["example.com"], "not a valid IPv4 or IPv6"),
        ([f"h{i}.example.com" for i in range(101)], [], "At most 100"),
        ("single.example.com", [], "lists of strings"),
    ],
)
def test_san_validation(dns_names: list[str], ip_addresses: list[str], fragment: str) -> None:
    with pytest.raises(ValueError, match=fragment):
        generate_key_and_csr(SubjectFields(common_name="ok"), dns_names=dns_names, ip_addresses=ip_addresses)


def test_long_bad_values_are_shortened_in_errors() -> None:
    with pytest.raises(ValueError, match="not a valid IPv4") as caught:
        generate_key_and_csr(SubjectFields(common_name="ok"), ip_addresses=["9" * 500])
    assert len(str(caught.value)) < 200


def test_unknown_key_type() -> None:
    with pytest.raises(ValueError, match="key_type must be one of"):
        generate_key_and_csr(SubjectFields(common_name="ok"), key_type=cast(KeyType, "rsa-1024"))
