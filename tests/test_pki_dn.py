"""Distinguished names read exactly (RFC 4514), and a share's filters read whole: no entry cut, no value
truncated, no OU split on its commas, and an entry that is not text kept as a reason, never dropped."""

from __future__ import annotations

import pytest
from cryptography.x509.oid import NameOID

from frontdoor_mcp.api.shares import Share
from frontdoor_mcp.pki.dn import DnError, name_rdns, parse_dn
from tests.mtls import name

CN, ORG, OU = NameOID.COMMON_NAME.dotted_string, NameOID.ORGANIZATION_NAME.dotted_string, "2.5.4.11"


@pytest.mark.parametrize(
    ("text", "rdns"),
    [
        ("CN=svc-1", ((CN, "svc-1"),)),
        ("CN=service-account-1, O=MyCompany", ((ORG, "MyCompany"), (CN, "service-account-1"))),
        ("cn = a ; o = b", ((ORG, "b"), (CN, "a"))),
        ("CN=a\\,b,O=Acme", ((ORG, "Acme"), (CN, "a,b"))),
        ("CN=c\\\\,O=Acme", ((ORG, "Acme"), (CN, "c\\"))),  # an escaped backslash, then a real separator
        ("CN=svc-esc,OU=x\\ ", ((OU, "x "), (CN, "svc-esc"))),  # an escaped trailing space is kept
        ("CN=\\ lead", ((CN, " lead"),)),
        ("CN=caf\\C3\\A9", ((CN, "café"),)),
        ("CN=a=b", ((CN, "a=b"),)),
        ("2.5.4.3=by-oid", ((CN, "by-oid"),)),
        ("OID.2.5.4.3=by-oid", ((CN, "by-oid"),)),
        ("emailAddress=x@example.com", (("1.2.840.113549.1.9.1", "x@example.com"),)),
    ],
)
def test_names_are_read_exactly(text: str, rdns: tuple[tuple[str, str], ...]) -> None:
    assert parse_dn(text) == tuple(frozenset([rdn]) for rdn in rdns)


def test_a_multi_valued_rdn_and_a_long_name_compare_whole() -> None:
    assert parse_dn("CN=a+OU=b,O=c") == (frozenset({(ORG, "c")}), frozenset({(CN, "a"), (OU, "b")}))
    long = "x" * 5000
    assert parse_dn(f"CN=svc,O={long}") == (frozenset({(ORG, long)}), frozenset({(CN, "svc")}))
    assert parse_dn(f"CN=svc,O={long}") != parse_dn(f"CN=svc,O={long[:1024]}")


@pytest.mark.parametrize(
    "text",
    ["CN", "=x", "XX=y", "CN=a,", "CN=#0403616263", "CN=a\\", "CN=a\\q", 'CN=a"b', "CN=\\C3", "1.2.x=y"],
)
def test_what_is_not_a_name_says_so_without_repeating_it(text: str) -> None:
    with pytest.raises(DnError) as raised:
        parse_dn(text)
    assert text not in str(raised.value) or len(text) < 3


def test_a_certificates_name_compares_with_its_text() -> None:
    certificate_name = name((NameOID.ORGANIZATION_NAME, "Acme"), (NameOID.COMMON_NAME, "a,b"))
    assert name_rdns(certificate_name) == parse_dn("CN=a\\,b, O=Acme")
    assert name_rdns(certificate_name) != parse_dn("O=Acme, CN=a\\,b")  # order matters


def _share(**fields: object) -> Share:
    return Share.model_validate({"id": "shr-1", "name": "s", **fields})


def test_filters_are_read_whole() -> None:
    subjects = [f"CN=decoy-{number}" for number in range(600)] + ["CN=" + "y" * 3000]
    share = _share(allowedSubjects=subjects, requiredOrganizationalUnit="pay,ments")
    assert share.allowed_subjects is not None and share.allowed_subjects.entries == tuple(subjects)
    assert share.required_organizational_unit is not None
    assert share.required_organizational_unit.entries == ("pay,ments",)  # one OU, commas and all


def test_an_entry_that_is_not_text_is_kept_as_a_reason() -> None:
    share = _share(allowedSubjects=[42, "CN=a", None], allowedCommonNamePrefixes={"svc-": 1})
    assert share.allowed_subjects is not None
    assert share.allowed_subjects.entries == ("CN=a",)
    assert share.allowed_subjects.unreadable == ("entry 1 is a number, not text", "entry 3 is null, not text")
    assert share.allowed_common_name_prefixes is not None
    assert share.allowed_common_name_prefixes.unreadable == ("the value is an object, not a list or text",)


def test_the_consoles_delimited_text_is_split_where_it_should_be() -> None:
    share = _share(
        allowedSubjects="CN=service-account-1, O=MyCompany;CN=b",
        allowedCommonNamePrefixes="service-account-;frontdoor-access-;example-",
    )
    assert share.allowed_subjects is not None
    assert share.allowed_subjects.entries == ("CN=service-account-1, O=MyCompany", "CN=b")
    assert share.allowed_common_name_prefixes is not None
    assert share.allowed_common_name_prefixes.entries == ("service-account-", "frontdoor-access-", "example-")
    assert _share(allowedSubjects="", requiredOrganizationalUnit="").allowed_subjects is None
