#!/usr/bin/env bash
# Regenerates the TLS tests' certificates (ECDSA P-256, valid for 100 years, except
# expired.pem, which expired in 2020). Run from anywhere; needs the `openssl` command. The CAs'
# keys are thrown away: regenerating makes a new CA and every certificate again.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
days=36500

key() { openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$1"; }

ca() { # name subject: made in the scratch folder (only ca.pem is kept)
  key "$work/$1.key"
  openssl req -x509 -new -key "$work/$1.key" -subj "$2" -days $days -sha256 \
    -addext basicConstraints=critical,CA:TRUE -addext keyUsage=critical,keyCertSign,cRLSign -out "$work/$1.pem"
}

leaf() { # name subject ca san [key]
  local keyfile=${5:-$1.key}
  [ -f "$keyfile" ] || key "$keyfile"
  openssl req -new -key "$keyfile" -subj "$2" -out "$work/$1.csr"
  printf 'basicConstraints=CA:FALSE\nsubjectAltName=%s\n' "$4" > "$work/$1.ext"
  openssl x509 -req -in "$work/$1.csr" -CA "$work/$3.pem" -CAkey "$work/$3.key" -CAcreateserial -days $days -sha256 \
    -extfile "$work/$1.ext" -out "$1.pem"
}

ca ca "/CN=EventLoop Test CA"
ca rogue-ca "/CN=EventLoop Rogue CA"
cp "$work/ca.pem" ca.pem
leaf server "/CN=localhost" ca "DNS:localhost,IP:127.0.0.1"
leaf other "/CN=other.test" ca "DNS:other.test"
leaf client "/CN=client" ca "DNS:client"
leaf rogue-client "/CN=rogue-client" rogue-ca "DNS:rogue-client"

# expired.pem: localhost again (server.key), valid only on 1 January 2020.
mkdir -p "$work/db" && touch "$work/db/index.txt" && echo 01 > "$work/db/serial"
cat > "$work/ca.cnf" <<CONF
[ca]
default_ca = c
[c]
database = $work/db/index.txt
new_certs_dir = $work/db
serial = $work/db/serial
default_md = sha256
policy = p
copy_extensions = copy
[p]
commonName = supplied
CONF
openssl req -new -key server.key -subj "/CN=localhost" -addext "subjectAltName=DNS:localhost,IP:127.0.0.1" -out "$work/expired.csr"
openssl ca -batch -config "$work/ca.cnf" -cert "$work/ca.pem" -keyfile "$work/ca.key" -in "$work/expired.csr" -notext \
  -startdate 20200101000000Z -enddate 20200102000000Z -out expired.pem 2>/dev/null

# encrypted.key: server.key under a passphrase (configuration must refuse it).
openssl pkey -in server.key -aes256 -passout pass:secret -out encrypted.key
rm -f ./*.srl "$work"/*.srl
