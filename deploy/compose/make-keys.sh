#!/bin/sh
# Makes the key pairs docker-compose.yml mounts into the services, where ./byoos keeps them, unless
# they exist already (the local stack or ./byoos token may have made them):
#   .devstack/auth/jwt-signing-key.pem, jwt-verification-key.pem   RSA 2048: ./byoos token signs bearer
#       tokens with the first; spec-service, artifact-service and pack-publisher verify with the second
#   .devstack/signing/artifact-signing-key.pem, .pub              ECDSA P-256: artifact-service signs
#       every stored image with it
#   .devstack/kafka/broker.env    the Kafka broker's and admin's SCRAM passwords and every
#       principal's (the broker creates the users from it when it formats its storage)
#   .devstack/kafka/<service>.env KAFKA_PASSWORD of that service's principal only
#   .devstack/kafka/spec-submitter.properties  client settings for foreign systems submitting specs
#   .devstack/compose/datastores.env  PostgreSQL's and MinIO's credentials, as the services read them
#   .devstack/compose/spec-service.env  the AES-256 key spec-service encrypts notification secrets under
# PEM, PKCS#8 private keys and SubjectPublicKeyInfo public keys, as local-auth writes them. Kafka,
# database and object storage passwords are random per checkout: nothing in the repository is a credential.
# Run from the repository root: sh deploy/compose/make-keys.sh
set -eu
umask 077
mkdir -p .devstack/auth .devstack/signing .devstack/kafka .devstack/compose
if [ ! -f .devstack/compose/datastores.env ]; then
  database=$(openssl rand -hex 24)
  storage=$(openssl rand -hex 24)
  {
    echo "POSTGRES_PASSWORD=$database"
    echo "BYOOS_DB_PASSWORD=$database"
    echo "MINIO_ROOT_USER=byoos"
    echo "MINIO_ROOT_PASSWORD=$storage"
    echo "BYOOS_S3_ACCESS_KEY=byoos"
    echo "BYOOS_S3_SECRET_KEY=$storage"
  } > .devstack/compose/datastores.env
fi
if [ ! -f .devstack/compose/spec-service.env ]; then
  echo "BYOOS_SPEC_NOTIFICATIONS_SECRET_KEY=$(openssl rand -base64 32)" > .devstack/compose/spec-service.env
fi
if [ ! -f .devstack/kafka/broker.env ]; then
  password() { openssl rand -hex 24; }
  {
    echo "KAFKA_BROKER_PASSWORD=$(password)"
    echo "KAFKA_ADMIN_PASSWORD=$(password)"
  } > .devstack/kafka/broker.env
  for principal in spec-service build-worker artifact-service pack-publisher spec-submitter; do
    secret=$(password)
    echo "KAFKA_PASSWORD_$(echo "$principal" | tr 'a-z-' 'A-Z_')=$secret" >> .devstack/kafka/broker.env
    echo "KAFKA_PASSWORD=$secret" > ".devstack/kafka/$principal.env"
  done
  submitter=$(sed -n 's/^KAFKA_PASSWORD=//p' .devstack/kafka/spec-submitter.env)
  printf 'security.protocol=SASL_PLAINTEXT\nsasl.mechanisms=SCRAM-SHA-512\nsasl.username=spec-submitter\nsasl.password=%s\n' \
    "$submitter" > .devstack/kafka/spec-submitter.properties
fi
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
echo "keys in .devstack/auth and .devstack/signing, Kafka credentials in .devstack/kafka; tokens: ./byoos token --team <team>"
