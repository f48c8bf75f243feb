"""Companion of make_corpus.sh: certificates with validity dates openssl 3.0 cannot set without `openssl ca`.

Usage: python make_corpus_dates.py OUT_DIR
"""

from __future__ import annotations

import sys
from datetime import UTC, datetime
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID


def _self_signed(common_name: str, not_before: datetime, not_after: datetime) -> bytes:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(not_before)
        .not_valid_after(not_after)
        .sign(key, hashes.SHA256())
    )
    return cert.public_bytes(serialization.Encoding.PEM)


def main(out_dir: Path) -> None:
    expired = _self_signed("corpus-expired", datetime(2020, 1, 1, tzinfo=UTC), datetime(2021, 1, 1, tzinfo=UTC))
    future = _self_signed("corpus-not-yet-valid", datetime(2090, 1, 1, tzinfo=UTC), datetime(2091, 1, 1, tzinfo=UTC))
    (out_dir / "cert-expired.pem").write_bytes(expired)
    (out_dir / "cert-not-yet-valid.pem").write_bytes(future)


if __name__ == "__main__":
    main(Path(sys.argv[1]))
