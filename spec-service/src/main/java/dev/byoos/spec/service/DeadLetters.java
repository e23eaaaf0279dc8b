package dev.byoos.spec.service;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.ws.rs.BadRequestException;
import jakarta.ws.rs.NotFoundException;
import jakarta.ws.rs.ServiceUnavailableException;

import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.header.Headers;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.jboss.logging.Logger;

import io.smallrye.common.annotation.Identifier;
import io.vertx.mutiny.sqlclient.Pool;
import io.vertx.mutiny.sqlclient.Row;
import io.vertx.mutiny.sqlclient.Tuple;

import dev.byoos.contract.Topics;
import dev.byoos.spec.config.SpecServiceConfig;

/**
 * Every consumer's dead-letter topic ({@code <topic>.dlq}, {@link Topics#deadLetter}), read and
 * replayed for an administrator. A dead letter is named by where it lies,
 * {@code <dead-letter topic>:<partition>:<offset>}, which no two share. Replaying one sends its
 * key, value and headers (the CloudEvent attributes; the connector's {@code dead-letter-*} headers
 * left out) to the topic its dead-letter topic belongs to, which every consumer group of that topic
 * reads again: safe, because every consumer is idempotent by CloudEvent id and build.
 *
 * <p>A replay is remembered in {@code dead_letter_replay}: the row is committed before the send and
 * marked replayed once Kafka acknowledged it. A crash between the two leaves the mark unset, and the
 * next replay of the id sends again (at least once); a marked id is never sent again. The original
 * topic comes from the dead-letter topic's name, never from a header of the record, so a replay
 * can reach only the topic whose consumers dead-lettered it.
 *
 * <p>Kafka's clients block: callers run this on a worker thread.
 */
@ApplicationScoped
public class DeadLetters {

    private static final Logger LOG = Logger.getLogger(DeadLetters.class);
    /** Headers SmallRye's dead-letter strategy adds (KafkaDeadLetterQueue), all with this prefix. */
    static final String DEAD_LETTER_HEADER_PREFIX = "dead-letter-";
    static final String REASON_HEADER = "dead-letter-reason";
    private static final Pattern ID = Pattern.compile("([A-Za-z0-9._-]+):(\\d{1,9}):(\\d{1,18})");
    private static final Duration POLL = Duration.ofMillis(200);
    private static final int FETCH_MAX_WAIT_MILLIS = 50;

    /**
     * One dead letter as the API lists it.
     *
     * @param consumerGroup the group that dead-lettered it; null, since the connector's headers do not say
     * @param timestamp     when it was dead-lettered (the dead-letter record's timestamp)
     * @param buildId       the record's key: every pipeline event is keyed by its build id
     */
    public record Entry(String id, String topic, int partition, long offset, String originalTopic,
            String consumerGroup, OffsetDateTime timestamp, String reason, String buildId, String eventType,
            String eventId, OffsetDateTime replayedAt) {

        Entry replayedAt(OffsetDateTime when) {
            return new Entry(id, topic, partition, offset, originalTopic, consumerGroup, timestamp, reason, buildId,
                    eventType, eventId, when);
        }
    }

    /** The outcome of a replay: {@code sent} false when an earlier replay of the id had sent it already. */
    public record Replay(Entry entry, boolean sent) {
    }

    private final Map<String, Object> kafka;
    private final Pool pool;
    private final SpecServiceConfig.DeadLetters config;
    /** The pipeline's dead-letter topics; nothing else is read or replayed. */
    private final Set<String> deadLetterTopics = Topics.all().stream().map(Topics.TopicSpec::name)
            .filter(name -> name.endsWith(Topics.DLQ_SUFFIX)).collect(Collectors.toUnmodifiableSet());

    public DeadLetters(@Identifier("default-kafka-broker") Map<String, Object> kafka, Pool pool,
            SpecServiceConfig config) {
        this.kafka = Map.copyOf(kafka);
        this.pool = pool;
        this.config = config.deadLetters();
    }

    /**
     * The newest {@code limit} dead letters across every dead-letter topic, newest first.
     *
     * @param limit null for {@code byoos.spec.dead-letters.default-limit}
     * @throws BadRequestException when {@code limit} is below 1 or over the configured maximum
     */
    public List<Entry> list(Integer limit) {
        int wanted = limit == null ? config.defaultLimit() : limit;
        if (wanted < 1 || wanted > config.maxLimit()) {
            throw new BadRequestException("limit must be between 1 and " + config.maxLimit() + ", not " + wanted);
        }
        List<ConsumerRecord<byte[], byte[]>> newest = new ArrayList<>();
        try (KafkaConsumer<byte[], byte[]> consumer = consumer()) {
            List<TopicPartition> partitions = new ArrayList<>();
            for (String topic : deadLetterTopics) {
                for (PartitionInfo partition : consumer.partitionsFor(topic, config.kafkaTimeout())) {
                    partitions.add(new TopicPartition(topic, partition.partition()));
                }
            }
            consumer.assign(partitions);
            Map<TopicPartition, Long> ends = consumer.endOffsets(partitions, config.kafkaTimeout());
            Map<TopicPartition, Long> begins = consumer.beginningOffsets(partitions, config.kafkaTimeout());
            // Each partition's newest `wanted` records hold the newest `wanted` overall.
            Map<TopicPartition, Long> pending = new HashMap<>();
            for (TopicPartition partition : partitions) {
                long start = Math.max(begins.get(partition), ends.get(partition) - wanted);
                if (start < ends.get(partition)) {
                    consumer.seek(partition, start);
                    pending.put(partition, ends.get(partition));
                }
            }
            consumer.pause(partitions.stream().filter(p -> !pending.containsKey(p)).toList());
            long deadline = System.nanoTime() + config.kafkaTimeout().toNanos();
            while (!pending.isEmpty()) {
                if (System.nanoTime() > deadline) {
                    throw unavailable("reading the dead-letter topics took over " + config.kafkaTimeout(), null);
                }
                for (ConsumerRecord<byte[], byte[]> record : consumer.poll(POLL)) {
                    TopicPartition partition = new TopicPartition(record.topic(), record.partition());
                    Long end = pending.get(partition);
                    if (end != null && record.offset() < end) {
                        newest.add(record);
                    }
                }
                // Positions, not offsets seen: transaction markers and compaction leave gaps.
                pending.keySet().removeIf(partition -> consumer.position(partition) >= pending.get(partition));
                consumer.pause(partitions.stream().filter(p -> !pending.containsKey(p)).toList());
            }
        } catch (KafkaException e) {
            throw unavailable("Kafka did not answer: " + e.getMessage(), e);
        }
        List<Entry> entries = newest.stream()
                .sorted(Comparator.<ConsumerRecord<byte[], byte[]>>comparingLong(ConsumerRecord::timestamp)
                        .thenComparing(ConsumerRecord::topic).thenComparingInt(ConsumerRecord::partition)
                        .thenComparingLong(ConsumerRecord::offset).reversed())
                .limit(wanted).map(DeadLetters::entry).toList();
        return withReplays(entries);
    }

    /**
     * Sends the dead letter {@code id} to its original topic, once.
     *
     * @throws BadRequestException when {@code id} is not {@code <dead-letter topic>:<partition>:<offset>}
     * @throws NotFoundException   when no such dead letter exists (or no longer: retention)
     */
    public Replay replay(String id, String requestedBy) {
        ConsumerRecord<byte[], byte[]> record = read(id);
        Entry entry = entry(record);
        requireKnownBuild(entry);
        OffsetDateTime replayed = remember(entry.id(), requestedBy);
        if (replayed != null) {
            return new Replay(entry.replayedAt(replayed), false);
        }
        send(record, entry.originalTopic());
        OffsetDateTime now = OffsetDateTime.now(ZoneOffset.UTC);
        // A concurrent replay of the same id may have marked it first: its time stands, and this send
        // was a duplicate the consumers drop by event id.
        Row marked = await(pool.preparedQuery("update dead_letter_replay set replayed_at = coalesce(replayed_at, $2)"
                + " where id = $1 returning replayed_at, (replayed_at = $2) as ours").execute(Tuple.of(entry.id(), now)))
                .iterator().next();
        LOG.infof("dead letter %s (event %s, build %s) replayed to %s by %s", entry.id(), entry.eventId(),
                entry.buildId(), entry.originalTopic(), requestedBy);
        return new Replay(entry.replayedAt(marked.getOffsetDateTime("replayed_at")), marked.getBoolean("ours"));
    }

    /**
     * Whoever may write a dead-letter topic (the consumers of its topic) chooses what lies in it, and
     * a replay publishes it as spec-service. A pipeline event replays only for a build this service
     * created: a record naming another build id (a build request nobody made, say, which
     * artifact-service would take as that build's record) is refused. A spec submission carries its
     * own credential, which the intake checks again.
     *
     * @throws BuildConflictException when the record's key is no build of this service
     */
    private void requireKnownBuild(Entry entry) {
        if (Topics.SPECS_SUBMITTED.equals(entry.originalTopic())) {
            return;
        }
        UUID buildId;
        try {
            buildId = UUID.fromString(String.valueOf(entry.buildId()));
        } catch (IllegalArgumentException e) {
            buildId = null;
        }
        boolean known = buildId != null && await(pool.preparedQuery("select 1 from build where id = $1")
                .execute(Tuple.of(buildId))).rowCount() == 1;
        if (!known) {
            throw new BuildConflictException("dead letter " + entry.id() + " is keyed '" + entry.buildId()
                    + "', no build of this installation: a pipeline event is replayed only for a build spec-service"
                    + " created");
        }
    }

    /** Records the replay request; returns when the id was replayed before, or null if it was not. */
    private OffsetDateTime remember(String id, String requestedBy) {
        return await(pool.withTransaction(connection -> connection
                .preparedQuery("insert into dead_letter_replay (id, requested_at, requested_by) values ($1, $2, $3)"
                        + " on conflict (id) do nothing")
                .execute(Tuple.of(id, OffsetDateTime.now(ZoneOffset.UTC), requestedBy))
                .flatMap(inserted -> connection.preparedQuery("select replayed_at from dead_letter_replay where id = $1")
                        .execute(Tuple.of(id)))))
                .iterator().next().getOffsetDateTime("replayed_at");
    }

    private ConsumerRecord<byte[], byte[]> read(String id) {
        Matcher matcher = ID.matcher(id);
        if (!matcher.matches() || !matcher.group(1).endsWith(Topics.DLQ_SUFFIX)) {
            throw new BadRequestException("'" + id + "' is not a dead letter id: <dead-letter topic>:<partition>:<offset>,"
                    + " e.g. " + Topics.deadLetter(Topics.BUILDS_COMPLETED) + ":0:12");
        }
        String topic = matcher.group(1);
        TopicPartition partition = new TopicPartition(topic, Integer.parseInt(matcher.group(2)));
        long offset = Long.parseLong(matcher.group(3));
        NotFoundException none = new NotFoundException("no dead letter " + id);
        if (!deadLetterTopics.contains(topic)) {
            throw none;
        }
        try (KafkaConsumer<byte[], byte[]> consumer = consumer()) {
            if (consumer.partitionsFor(topic, config.kafkaTimeout()).stream()
                    .noneMatch(info -> info.partition() == partition.partition())) {
                throw none;
            }
            consumer.assign(List.of(partition));
            List<TopicPartition> one = List.of(partition);
            if (offset < consumer.beginningOffsets(one, config.kafkaTimeout()).get(partition)
                    || offset >= consumer.endOffsets(one, config.kafkaTimeout()).get(partition)) {
                throw none;
            }
            consumer.seek(partition, offset);
            long deadline = System.nanoTime() + config.kafkaTimeout().toNanos();
            while (consumer.position(partition) <= offset) {
                if (System.nanoTime() > deadline) {
                    throw unavailable("reading " + id + " took over " + config.kafkaTimeout(), null);
                }
                for (ConsumerRecord<byte[], byte[]> record : consumer.poll(POLL)) {
                    if (record.offset() == offset) {
                        return record;
                    }
                }
            }
            // The offset was a transaction marker or compacted away: no record lies there.
            throw none;
        } catch (KafkaException e) {
            throw unavailable("Kafka did not answer: " + e.getMessage(), e);
        }
    }

    private void send(ConsumerRecord<byte[], byte[]> record, String topic) {
        Headers headers = new RecordHeaders();
        for (Header header : record.headers()) {
            if (!header.key().startsWith(DEAD_LETTER_HEADER_PREFIX)) {
                headers.add(header);
            }
        }
        Map<String, Object> producerConfig = new HashMap<>(kafka);
        producerConfig.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class.getName());
        producerConfig.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class.getName());
        producerConfig.put(ProducerConfig.ACKS_CONFIG, "all");
        producerConfig.put(ProducerConfig.CLIENT_ID_CONFIG, "spec-service-dead-letter-replay");
        // Kafka wants delivery.timeout.ms at least linger.ms + request.timeout.ms.
        producerConfig.put(ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, (int) config.kafkaTimeout().toMillis());
        producerConfig.put(ProducerConfig.REQUEST_TIMEOUT_MS_CONFIG, (int) config.kafkaTimeout().toMillis() / 2);
        producerConfig.put(ProducerConfig.LINGER_MS_CONFIG, 0);
        producerConfig.put(ProducerConfig.MAX_BLOCK_MS_CONFIG, config.kafkaTimeout().toMillis());
        // An admin's replay is rare: a producer per replay needs no lifecycle of its own.
        try (KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(producerConfig)) {
            producer.send(new ProducerRecord<>(topic, null, record.key(), record.value(), headers))
                    .get(config.kafkaTimeout().toMillis() * 2, TimeUnit.MILLISECONDS);
        } catch (ExecutionException | TimeoutException | KafkaException e) {
            throw unavailable("Kafka did not take the replay to " + topic + ": " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw unavailable("interrupted while replaying to " + topic, e);
        }
    }

    private List<Entry> withReplays(List<Entry> entries) {
        if (entries.isEmpty()) {
            return entries;
        }
        Map<String, OffsetDateTime> replayed = new HashMap<>();
        for (Row row : await(pool.preparedQuery("select id, replayed_at from dead_letter_replay where id = any($1)")
                .execute(Tuple.of(entries.stream().map(Entry::id).toArray(String[]::new))))) {
            replayed.put(row.getString("id"), row.getOffsetDateTime("replayed_at"));
        }
        return entries.stream().map(entry -> entry.replayedAt(replayed.get(entry.id()))).toList();
    }

    private static Entry entry(ConsumerRecord<byte[], byte[]> record) {
        String topic = record.topic();
        return new Entry(topic + ":" + record.partition() + ":" + record.offset(), topic, record.partition(),
                record.offset(), topic.substring(0, topic.length() - Topics.DLQ_SUFFIX.length()), null,
                Instant.ofEpochMilli(record.timestamp()).atOffset(ZoneOffset.UTC), header(record, REASON_HEADER),
                record.key() == null ? null : new String(record.key(), StandardCharsets.UTF_8),
                header(record, "ce_type"), header(record, "ce_id"), null);
    }

    private static String header(ConsumerRecord<byte[], byte[]> record, String name) {
        Header header = record.headers().lastHeader(name);
        return header == null || header.value() == null ? null : new String(header.value(), StandardCharsets.UTF_8);
    }

    /** Reads only, from where it is told to seek: no group, no committed offsets. */
    private KafkaConsumer<byte[], byte[]> consumer() {
        Map<String, Object> consumerConfig = new LinkedHashMap<>(kafka);
        consumerConfig.remove(ConsumerConfig.GROUP_ID_CONFIG);
        consumerConfig.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
        consumerConfig.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
        consumerConfig.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
        consumerConfig.put(ConsumerConfig.CLIENT_ID_CONFIG, "spec-service-dead-letters");
        consumerConfig.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        // It reads a range that is there already and waits for nothing new: a fetch that finds
        // nothing comes back after 50 ms, not after the services' 5 s long poll (kafka.fetch.max.wait.ms).
        consumerConfig.put(ConsumerConfig.FETCH_MAX_WAIT_MS_CONFIG, FETCH_MAX_WAIT_MILLIS);
        return new KafkaConsumer<>(consumerConfig);
    }

    private <T> T await(io.smallrye.mutiny.Uni<T> query) {
        return query.await().atMost(config.kafkaTimeout());
    }

    private static ServiceUnavailableException unavailable(String message, Throwable cause) {
        LOG.warnf(cause, "dead letters: %s", message);
        return new ServiceUnavailableException(message, (Long) null, cause);
    }
}
