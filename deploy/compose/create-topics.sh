#!/bin/sh
# Topics with the partition counts of dev.byoos.contract.Topics (partitions bound each stage's
# parallelism); every consumed topic has its <topic>.dlq. Then each principal's ACLs, exactly
# dev.byoos.contract.TopicAccess: READ on what it consumes and on its consumer groups (prefix =
# its name), WRITE on what it produces.
# Runs as admin (KAFKA_ADMIN_PASSWORD from .devstack/kafka/broker.env).
set -eu
: "${KAFKA_ADMIN_PASSWORD:?run sh deploy/compose/make-keys.sh first}"
BOOTSTRAP=kafka:9092
ADMIN=/tmp/admin.properties
umask 077
printf 'security.protocol=SASL_PLAINTEXT\nsasl.mechanism=SCRAM-SHA-512\nsasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required username="admin" password="%s";\n' \
  "$KAFKA_ADMIN_PASSWORD" > $ADMIN
for spec in byoos.specs.submitted:3 byoos.specs.rejected:3 byoos.builds.requested:6 byoos.builds.started:3 byoos.builds.progress:3 byoos.builds.cancelled:3 byoos.builds.completed:6 byoos.builds.failed:3 \
            byoos.artifacts.stored:6 byoos.packs.published:3 byoos.packs.retired:3; do
  topic=${spec%%:*}; partitions=${spec##*:}
  /opt/kafka/bin/kafka-topics.sh --bootstrap-server $BOOTSTRAP --command-config $ADMIN --create --if-not-exists --topic "$topic" --partitions "$partitions" --replication-factor 1
  /opt/kafka/bin/kafka-topics.sh --bootstrap-server $BOOTSTRAP --command-config $ADMIN --create --if-not-exists --topic "$topic.dlq" --partitions 1 --replication-factor 1
done

# grant PRINCIPAL "CONSUMED TOPICS" "PRODUCED TOPICS": the produced ones include the dead-letter
# topics of what a service consumes; spec-service also reads every dead-letter topic and writes every
# topic one belongs to (the admin's dead-letter replay). ComposeKafkaAclsTest keeps these lines and
# TopicAccess in step.
grant() {
  principal=$1; consumes=$2; produces=$3
  for topic in $consumes; do
    /opt/kafka/bin/kafka-acls.sh --bootstrap-server $BOOTSTRAP --command-config $ADMIN --add \
      --allow-principal "User:$principal" --operation Read --topic "$topic"
  done
  for topic in $produces; do
    /opt/kafka/bin/kafka-acls.sh --bootstrap-server $BOOTSTRAP --command-config $ADMIN --add \
      --allow-principal "User:$principal" --operation Write --topic "$topic"
  done
  /opt/kafka/bin/kafka-acls.sh --bootstrap-server $BOOTSTRAP --command-config $ADMIN --add \
    --allow-principal "User:$principal" --operation Read --group "$principal" --resource-pattern-type prefixed
}
grant spec-service "byoos.specs.submitted byoos.builds.started byoos.builds.progress byoos.builds.completed byoos.builds.failed byoos.artifacts.stored byoos.packs.published byoos.packs.retired byoos.specs.submitted.dlq byoos.specs.rejected.dlq byoos.builds.requested.dlq byoos.builds.started.dlq byoos.builds.progress.dlq byoos.builds.cancelled.dlq byoos.builds.completed.dlq byoos.builds.failed.dlq byoos.artifacts.stored.dlq byoos.packs.published.dlq byoos.packs.retired.dlq" "byoos.specs.submitted byoos.specs.rejected byoos.builds.requested byoos.builds.started byoos.builds.progress byoos.builds.cancelled byoos.builds.completed byoos.builds.failed byoos.artifacts.stored byoos.packs.published byoos.packs.retired byoos.specs.submitted.dlq byoos.builds.started.dlq byoos.builds.progress.dlq byoos.builds.completed.dlq byoos.builds.failed.dlq byoos.artifacts.stored.dlq byoos.packs.published.dlq byoos.packs.retired.dlq"
grant build-worker "byoos.builds.requested byoos.builds.cancelled" "byoos.builds.started byoos.builds.progress byoos.builds.completed byoos.builds.failed byoos.builds.requested.dlq byoos.builds.cancelled.dlq"
grant artifact-service "byoos.builds.requested byoos.builds.completed byoos.packs.published byoos.packs.retired" "byoos.artifacts.stored byoos.builds.progress byoos.builds.failed byoos.builds.requested.dlq byoos.builds.completed.dlq byoos.packs.published.dlq byoos.packs.retired.dlq"
grant pack-publisher "byoos.artifacts.stored" "byoos.packs.published byoos.packs.retired byoos.builds.progress byoos.builds.failed byoos.artifacts.stored.dlq"
# Foreign systems submit specs and read their rejections.
grant spec-submitter "byoos.specs.rejected" "byoos.specs.submitted"
