#!/usr/bin/env bash
# Regenerates the PEM policy corpus in this folder. Run once; the outputs are committed.
#
# Everything is made with openssl (3.0 here), except the expired and not-yet-valid certificates:
# openssl 3.0 cannot set arbitrary validity dates without `openssl ca` and its database, so
# make_corpus_dates.py makes those two with `cryptography`.
#
# The private keys here are throwaway test material, generated for this corpus and used nowhere else.
set -euo pipefail

here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
cd "$here"

ossl() { openssl "$@" 2>/dev/null; }
days=36500 # the "valid" samples must stay valid for as long as this corpus is used

self_signed() { # key-file out-file subject [extra req args...]
    local key="$1" out="$2" subj="$3"
    shift 3
    ossl req -x509 -new -key "$key" -subj "$subj" -days "$days" -out "$out" "$@"
}

# --- valid samples -----------------------------------------------------------
ossl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out key-p256-pkcs8.pem
self_signed key-p256-pkcs8.pem cert-p256-valid.pem "/O=frontdoor-mcp tests/CN=corpus-p256" -sha256 \
    -addext "subjectAltName=DNS:client.example.com,IP:10.0.0.1,email:ops@example.com,URI:spiffe://example.com/client" \
    -addext "basicConstraints=critical,CA:FALSE" -addext "keyUsage=critical,digitalSignature" \
    -addext "extendedKeyUsage=clientAuth"

ossl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out "$tmp/rsa2048.key"
ossl req -new -key "$tmp/rsa2048.key" -subj "/C=US/O=frontdoor-mcp tests/CN=corpus-rsa2048" -sha256 \
    -addext "subjectAltName=DNS:client.example.com" -out csr-rsa2048-valid.pem
sed 's/CERTIFICATE REQUEST-----/NEW CERTIFICATE REQUEST-----/' csr-rsa2048-valid.pem >csr-new-label-valid.pem

ossl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-384 -out "$tmp/p384.key"
ossl req -new -key "$tmp/p384.key" -subj "/CN=corpus-p384" -sha384 -out csr-p384-valid.pem

# A CA and a leaf it signed: the leaf alone is valid, the two together are a chain.
ossl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-384 -out "$tmp/ca.key"
self_signed "$tmp/ca.key" "$tmp/ca.pem" "/CN=corpus-ca" -sha384 \
    -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign"
ossl req -new -key "$tmp/rsa2048.key" -subj "/CN=corpus-leaf" -out "$tmp/leaf.csr"
printf 'extendedKeyUsage=clientAuth\nkeyUsage=critical,digitalSignature,keyEncipherment\n' >"$tmp/leaf.ext"
ossl x509 -req -in "$tmp/leaf.csr" -CA "$tmp/ca.pem" -CAkey "$tmp/ca.key" -set_serial 0x1234abcd -days "$days" \
    -sha256 -extfile "$tmp/leaf.ext" -out cert-leaf-rsa2048-valid.pem
cat cert-leaf-rsa2048-valid.pem "$tmp/ca.pem" >chain-two-certs.pem

# --- weak keys -----------------------------------------------------------------
ossl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:1024 -out "$tmp/rsa1024.key"
self_signed "$tmp/rsa1024.key" cert-rsa1024.pem "/CN=corpus-rsa1024" -sha256
ossl req -new -key "$tmp/rsa1024.key" -subj "/CN=corpus-rsa1024" -sha256 -out csr-rsa1024.pem

ossl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -pkeyopt rsa_keygen_pubexp:3 -out "$tmp/rsa-e3.key"
self_signed "$tmp/rsa-e3.key" cert-rsa2048-e3.pem "/CN=corpus-rsa-e3" -sha256

ossl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-521 -out "$tmp/p521.key"
self_signed "$tmp/p521.key" cert-p521.pem "/CN=corpus-p521" -sha512

ossl genpkey -genparam -algorithm DSA -pkeyopt dsa_paramgen_bits:2048 -out "$tmp/dsa.params"
ossl genpkey -paramfile "$tmp/dsa.params" -out "$tmp/dsa.key"
self_signed "$tmp/dsa.key" cert-dsa.pem "/CN=corpus-dsa" -sha256

ossl genpkey -algorithm ED25519 -out "$tmp/ed25519.key"
self_signed "$tmp/ed25519.key" cert-ed25519.pem "/CN=corpus-ed25519"
ossl req -new -key "$tmp/ed25519.key" -subj "/CN=corpus-ed25519" -out csr-ed25519.pem

# --- weak signatures (openssl 3.0 still signs with these when asked) -------------
self_signed "$tmp/rsa2048.key" cert-sha1.pem "/CN=corpus-sha1" -sha1
self_signed "$tmp/rsa2048.key" cert-md5.pem "/CN=corpus-md5" -md5
ossl req -new -key "$tmp/rsa2048.key" -subj "/CN=corpus-sha1" -sha1 -out csr-sha1.pem

# --- a CSR whose signature no longer verifies: flip one bit of the signature's last byte --
ossl req -in csr-rsa2048-valid.pem -outform DER -out "$tmp/csr.der"
size=$(wc -c <"$tmp/csr.der")
last=$(tail -c 1 "$tmp/csr.der" | od -An -tu1 | tr -d ' ')
head -c "$((size - 1))" "$tmp/csr.der" >"$tmp/tampered.der"
# shellcheck disable=SC2059 # the format string is the escaped byte itself
printf "\\$(printf '%03o' "$((last ^ 1))")" >>"$tmp/tampered.der"
ossl req -inform DER -in "$tmp/tampered.der" -out csr-tampered.pem

# --- private keys, in every framing ------------------------------------------------
cat cert-p256-valid.pem key-p256-pkcs8.pem >bundle-cert-and-key.pem
ossl pkcs8 -topk8 -in key-p256-pkcs8.pem -v2 aes-256-cbc -passout pass:corpus -out key-encrypted-pkcs8.pem
ossl genrsa -traditional -out key-rsa-traditional.pem 2048
ossl ecparam -name prime256v1 -genkey -noout -out key-ec-traditional.pem
ssh-keygen -q -t ed25519 -N '' -C corpus -f "$tmp/id_ed25519"
cp "$tmp/id_ed25519" key-openssh.pem
ossl pkey -in key-p256-pkcs8.pem -outform DER | openssl base64 >key-bare-base64.txt

# --- structurally wrong --------------------------------------------------------------
for _ in $(seq 85); do cat cert-p256-valid.pem; done >oversize.pem
{
    echo "-----BEGIN CERTIFICATE-----"
    head -c 300 /dev/urandom | openssl base64
    echo "-----END CERTIFICATE-----"
} >garbage-cert.pem
grep -v -- "-----END CERTIFICATE-----" cert-p256-valid.pem >truncated-cert.pem
ossl pkey -in key-p256-pkcs8.pem -pubout -out public-key.pem

# --- dates (see the header) ----------------------------------------------------------
(cd "$root" && uv run python "$here/make_corpus_dates.py" "$here")

echo "corpus written to $here"
