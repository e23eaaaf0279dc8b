#!/bin/bash
# Starts the compose stack's Kafka broker with SASL on every listener and KRaft ACLs, as the local
# stack's broker (deploy/devstack KafkaServer) runs: SCRAM-SHA-512 for clients (each service its own
# principal), PLAIN for the controller listener (SCRAM users are read from the metadata the
# controller itself serves), super users only the broker and admin. Passwords come from the env
# file make-keys.sh generated (.devstack/kafka/broker.env); nothing here is a fixed secret.
set -euo pipefail
: "${KAFKA_BROKER_PASSWORD:?run sh deploy/compose/make-keys.sh first}"
: "${KAFKA_ADMIN_PASSWORD:?run sh deploy/compose/make-keys.sh first}"
config=/tmp/server.properties
scram=org.apache.kafka.common.security.scram.ScramLoginModule
plain=org.apache.kafka.common.security.plain.PlainLoginModule
cat > "$config" <<PROPERTIES
process.roles=broker,controller
node.id=1
controller.quorum.voters=1@kafka:9093
listeners=CLIENT://:9092,CONTROLLER://:9093
advertised.listeners=CLIENT://kafka:9092
controller.listener.names=CONTROLLER
inter.broker.listener.name=CLIENT
listener.security.protocol.map=CLIENT:SASL_PLAINTEXT,CONTROLLER:SASL_PLAINTEXT
listener.name.client.sasl.enabled.mechanisms=SCRAM-SHA-512
sasl.mechanism.inter.broker.protocol=SCRAM-SHA-512
listener.name.client.scram-sha-512.sasl.jaas.config=$scram required username="broker" password="$KAFKA_BROKER_PASSWORD";
listener.name.controller.sasl.enabled.mechanisms=PLAIN
sasl.mechanism.controller.protocol=PLAIN
listener.name.controller.plain.sasl.jaas.config=$plain required username="broker" password="$KAFKA_BROKER_PASSWORD" user_broker="$KAFKA_BROKER_PASSWORD";
authorizer.class.name=org.apache.kafka.metadata.authorizer.StandardAuthorizer
super.users=User:broker;User:admin
allow.everyone.if.no.acl.found=false
log.dirs=/var/lib/kafka/data
offsets.topic.replication.factor=1
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
group.initial.rebalance.delay.ms=0
auto.create.topics.enable=false
PROPERTIES
if [ ! -f /var/lib/kafka/data/meta.properties ]; then
  # SCRAM users are part of the formatted metadata: the broker, admin and every principal of
  # dev.byoos.contract.TopicAccess, with the passwords of their env files.
  users=(--add-scram "SCRAM-SHA-512=[name=broker,password=$KAFKA_BROKER_PASSWORD]"
         --add-scram "SCRAM-SHA-512=[name=admin,password=$KAFKA_ADMIN_PASSWORD]")
  for principal in spec-service build-worker artifact-service pack-publisher spec-submitter; do
    variable="KAFKA_PASSWORD_$(echo "$principal" | tr 'a-z-' 'A-Z_')"
    users+=(--add-scram "SCRAM-SHA-512=[name=$principal,password=${!variable:?missing $variable: run sh deploy/compose/make-keys.sh}]")
  done
  /opt/kafka/bin/kafka-storage.sh format --config "$config" --cluster-id "$(/opt/kafka/bin/kafka-storage.sh random-uuid)" "${users[@]}"
fi
# The admin's client settings, for the health check and the topics job (owner-readable only).
umask 077
printf 'security.protocol=SASL_PLAINTEXT\nsasl.mechanism=SCRAM-SHA-512\nsasl.jaas.config=%s required username="admin" password="%s";\n' \
  "$scram" "$KAFKA_ADMIN_PASSWORD" > /tmp/admin.properties
exec /opt/kafka/bin/kafka-server-start.sh "$config"
