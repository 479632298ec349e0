#!/bin/sh
# Regenerates the test TLS material used by the loopback tests (tests/loopback/rest/*).
# The PEM files are committed, so CI never runs this; run it by hand only to replace them.
#   ca.pem / ca.key                 test CA (self-signed)
#   server.pem / server.key         leaf for DNS:localhost + IP:127.0.0.1, signed by the CA
#   wrong-host.pem / wrong-host.key leaf for DNS:wrong.example only, signed by the CA
# Everything is valid for ~100 years (36500 days). Never use these keys outside the tests.
set -eu
cd "$(dirname "$0")"
days=36500

openssl req -x509 -newkey rsa:2048 -nodes -sha256 -days "$days" \
    -keyout ca.key -out ca.pem -subj "/CN=streamchat test CA" \
    -addext "basicConstraints=critical,CA:TRUE" \
    -addext "keyUsage=critical,keyCertSign,cRLSign"

leaf() { # leaf <name> <CN> <subjectAltName>
    openssl req -newkey rsa:2048 -nodes -sha256 -keyout "$1.key" -out "$1.csr" -subj "/CN=$2"
    printf 'basicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature,keyEncipherment\nextendedKeyUsage=serverAuth\nsubjectAltName=%s\n' "$3" > "$1.ext"
    openssl x509 -req -in "$1.csr" -CA ca.pem -CAkey ca.key -CAcreateserial -sha256 \
        -days "$days" -extfile "$1.ext" -out "$1.pem"
    rm -f "$1.csr" "$1.ext"
}

leaf server localhost "DNS:localhost,IP:127.0.0.1"
leaf wrong-host wrong.example "DNS:wrong.example"
rm -f ca.srl
