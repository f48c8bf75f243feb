"""The subject of a certificate issued from a certificate request token.

The guide says the token's common name, organization and organizational unit are locked "unless left blank".
The sandbox reads that as: a field set on the token wins over the CSR's (replaced in place, or added when the
CSR lacks it), a field blank on the token comes from the CSR, and everything else in the CSR's subject
(C, ST, L, emailAddress, ...) is kept as the redeemer asked.
"""

from __future__ import annotations

from collections.abc import Mapping

from cryptography import x509
from cryptography.x509.oid import NameOID, ObjectIdentifier

_Attribute = x509.NameAttribute[str | bytes]

LOCKABLE: dict[str, ObjectIdentifier] = {
    "common_name": NameOID.COMMON_NAME,
    "organization": NameOID.ORGANIZATION_NAME,
    "organizational_unit": NameOID.ORGANIZATIONAL_UNIT_NAME,
}
"""Token fields (their column names) and the subject attributes they lock."""

# The conventional order of a subject, most significant first (as OpenSSL writes it): where an attribute the
# CSR lacks is inserted. Attributes not listed (emailAddress, ...) keep their place and are stepped over.
_RANK: dict[ObjectIdentifier, int] = {
    NameOID.COUNTRY_NAME: 0,
    NameOID.STATE_OR_PROVINCE_NAME: 1,
    NameOID.LOCALITY_NAME: 2,
    NameOID.ORGANIZATION_NAME: 3,
    NameOID.ORGANIZATIONAL_UNIT_NAME: 4,
    NameOID.COMMON_NAME: 5,
}


def issued_subject(requested: x509.Name, locked: Mapping[ObjectIdentifier, str]) -> x509.Name:
    """The CSR's subject `requested` with the `locked` attributes' values imposed.

    A locked attribute the CSR carries several times (two OUs) ends up once, with the token's value: the
    token fixes that attribute, so the redeemer cannot add a second value beside it."""
    placed: set[ObjectIdentifier] = set()
    rdns: list[list[_Attribute]] = []
    for rdn in requested.rdns:
        kept: list[_Attribute] = []
        for attribute in rdn:
            value = locked.get(attribute.oid)
            if value is None:
                kept.append(attribute)
            elif attribute.oid not in placed:
                kept.append(x509.NameAttribute(attribute.oid, value))
                placed.add(attribute.oid)
        if kept:
            rdns.append(kept)
    for oid in sorted(set(locked) - placed, key=lambda o: _RANK.get(o, len(_RANK))):
        rank = _RANK.get(oid, len(_RANK))
        position = next(
            (i for i, rdn in enumerate(rdns) if _RANK.get(rdn[0].oid, -1) > rank),
            len(rdns),
        )
        rdns.insert(position, [x509.NameAttribute(oid, locked[oid])])
    return x509.Name([x509.RelativeDistinguishedName(attributes) for attributes in rdns])
