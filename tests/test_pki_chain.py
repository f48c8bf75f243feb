"""The path rules' pure parts, directly: names compared as OpenSSL compares issuers, "issued" with key
identifiers, the Netscape certificate type, critical extensions. (What they add up to is checked against real
handshakes in test_admission_matrix.)"""

from __future__ import annotations

from datetime import UTC, datetime

from cryptography import x509
from cryptography.x509.oid import NameOID

from frontdoor_mcp.pki.chain import (
    NETSCAPE_CERT_TYPE,
    canonical_name,
    check_path,
    factoring_security_bits,
    issued,
    netscape_cert_type,
    unhandled_critical,
)
from tests.mtls import certificate, client_ca, cn, name


def test_issuer_names_compare_without_ascii_case_or_runs_of_spaces() -> None:
    assert canonical_name(cn("  Team   CA ")) == canonical_name(cn("team ca"))
    assert canonical_name(cn("ÉQUIPE")) != canonical_name(cn("équipe"))  # only ASCII letters fold
    assert canonical_name(cn("a")) != canonical_name(name((NameOID.ORGANIZATION_NAME, "a")))


def test_issued_needs_the_name_and_fitting_key_identifiers() -> None:
    ca = client_ca("Team CA")
    look_alike = client_ca("Team CA")
    leaf = certificate(cn("svc-1"), issuer=ca)
    assert issued(ca.certificate, leaf.certificate)
    assert not issued(look_alike.certificate, leaf.certificate)  # same name; the key identifier names another key
    assert not issued(client_ca("Other CA").certificate, leaf.certificate)


def test_netscape_type_and_critical_extensions_are_read() -> None:
    typed = certificate(
        cn("svc-1"), extensions=((x509.UnrecognizedExtension(NETSCAPE_CERT_TYPE, bytes([3, 2, 0, 0x80])), False),)
    )
    assert netscape_cert_type(typed.certificate) == 0x80
    assert netscape_cert_type(certificate(cn("svc-1")).certificate) is None
    unknown = x509.UnrecognizedExtension(x509.ObjectIdentifier("1.2.3.4"), b"\x05\x00")
    assert unhandled_critical(certificate(cn("svc-1"), extensions=((unknown, True),)).certificate) == "1.2.3.4"
    assert unhandled_critical(certificate(cn("svc-1"), extensions=((unknown, False),)).certificate) == ""


def test_a_path_names_the_certificate_that_breaks_it() -> None:
    root = client_ca("Root")
    leaf = certificate(cn("svc-1"), issuer=client_ca("Elsewhere"))
    found = check_path([leaf.certificate], root.certificate, now=datetime.now(UTC))
    assert found.trust == "fail" and "neither the share's certificate nor issued by it" in found.trust_why
    good = check_path([certificate(cn("svc-1"), issuer=root).certificate], root.certificate, now=datetime.now(UTC))
    assert (good.trust, good.strength) == ("pass", "pass")


def test_key_strength_is_reckoned_as_openssl_does() -> None:
    """OpenSSL's own figures: 1,024 bits give 80, 2,048 give 112, and between them the NIST formula rounded to 8
    (the sandbox refuses 1,960 bits at level 2 and admits 1,968)."""
    assert factoring_security_bits(1024) == 80
    assert factoring_security_bits(1960) == 104
    assert factoring_security_bits(1968) == 112
    assert factoring_security_bits(2040) == 112
    assert factoring_security_bits(2048) == 112
    assert factoring_security_bits(3072) == 128
