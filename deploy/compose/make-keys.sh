#!/bin/sh
# Makes the key pairs docker-compose.yml mounts into the services, where ./byoos keeps them, unless
# they exist already (the local stack or ./byoos token may have made them):
#   .devstack/auth/jwt-signing-key.pem, jwt-verification-key.pem   RSA 2048: ./byoos token signs bearer
#       tokens with the first; spec-service, artifact-service and pack-publisher verify with the second
#   .devstack/signing/artifact-signing-key.pem, .pub              ECDSA P-256: artifact-service signs
#       every stored image with it
# PEM, PKCS#8 private keys and SubjectPublicKeyInfo public keys, as local-auth writes them.
# Run from the repository root: sh deploy/compose/make-keys.sh
set -eu
umask 077
mkdir -p .devstack/auth .devstack/signing
if [ ! -f .devstack/auth/jwt-verification-key.pem ]; then
  openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out .devstack/auth/jwt-signing-key.pem
  openssl pkey -in .devstack/auth/jwt-signing-key.pem -pubout -out .devstack/auth/jwt-verification-key.pem
fi
if [ ! -f .devstack/signing/artifact-signing-key.pub ]; then
  openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out .devstack/signing/artifact-signing-key.pem
  openssl pkey -in .devstack/signing/artifact-signing-key.pem -pubout -out .devstack/signing/artifact-signing-key.pub
fi
# The services run as another user in their containers: the public keys, and the signing key that
# only artifact-service mounts, must be readable to it.
chmod 644 .devstack/auth/jwt-verification-key.pem .devstack/signing/artifact-signing-key.pem \
  .devstack/signing/artifact-signing-key.pub
chmod 755 .devstack .devstack/auth .devstack/signing
echo "keys in .devstack/auth and .devstack/signing; tokens: ./byoos token --team <team>"
