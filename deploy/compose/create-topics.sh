#!/bin/sh
# Topics with the partition counts of dev.byoos.contract.Topics (partitions bound each stage's
# parallelism); every consumed topic has its <topic>.dlq.
set -e
BOOTSTRAP=kafka:9092
for spec in byoos.specs.submitted:3 byoos.specs.rejected:3 byoos.builds.requested:6 byoos.builds.started:3 byoos.builds.progress:3 byoos.builds.cancelled:3 byoos.builds.completed:6 byoos.builds.failed:3 \
            byoos.artifacts.stored:6 byoos.packs.published:3; do
  topic=${spec%%:*}; partitions=${spec##*:}
  /opt/kafka/bin/kafka-topics.sh --bootstrap-server $BOOTSTRAP --create --if-not-exists --topic "$topic" --partitions "$partitions" --replication-factor 1
  /opt/kafka/bin/kafka-topics.sh --bootstrap-server $BOOTSTRAP --create --if-not-exists --topic "$topic.dlq" --partitions 1 --replication-factor 1
done
