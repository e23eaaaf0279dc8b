package dev.byoos.testsupport;

import static org.awaitility.Awaitility.await;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;

import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;

import org.awaitility.core.ConditionTimeoutException;

/**
 * A plain Kafka client for tests, independent of the services' messaging code: it produces
 * CloudEvents in binary mode exactly as the CloudEvents Kafka binding describes (ce_* headers),
 * and reads topics from the beginning looking for the record a test expects.
 */
public final class KafkaTestClient implements AutoCloseable {

    public static final String TEST_SOURCE = "urn:byoos:test";

    private final Map<String, Object> clientConfig;
    private final KafkaProducer<String, String> producer;

    /**
     * A client of the test stack at {@code bootstrapServers} with its admin principal, so a test
     * can play any stage (forge a build.completed, read any topic).
     */
    public KafkaTestClient(String bootstrapServers) {
        this(withBootstrap(TestStack.endpoints().kafkaClientConfig(Endpoints.KAFKA_ADMIN), bootstrapServers));
    }

    /** A client with the given settings (bootstrap servers and credentials), e.g. a service's own principal. */
    public KafkaTestClient(Map<String, Object> clientConfig) {
        this.clientConfig = Map.copyOf(clientConfig);
        Map<String, Object> producerConfig = new HashMap<>(clientConfig);
        producerConfig.put(ProducerConfig.ACKS_CONFIG, "all");
        this.producer = new KafkaProducer<>(producerConfig, new StringSerializer(), new StringSerializer());
    }

    /** This client's bootstrap servers and credentials, for an Admin or consumer of a test's own. */
    public Map<String, Object> clientConfig() {
        return clientConfig;
    }

    private static Map<String, Object> withBootstrap(Map<String, Object> config, String bootstrapServers) {
        Map<String, Object> copy = new HashMap<>(config);
        copy.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
        return copy;
    }

    /** Sends a binary-mode CloudEvent and waits for the broker's acknowledgement. */
    public void sendCloudEvent(String topic, String key, String type, String id, String json) {
        sendCloudEvent(topic, key, type, id, "application/json", json);
    }

    /** Sends a binary-mode CloudEvent whose data has the given content type (e.g. application/yaml). */
    public void sendCloudEvent(String topic, String key, String type, String id, String contentType, String data) {
        send(cloudEvent(topic, key, type, id, contentType, data));
    }

    /**
     * Sends a binary-mode CloudEvent with extension attributes (each as its {@code ce_<name>} header),
     * e.g. the credential of a spec submission.
     */
    public void sendCloudEvent(String topic, String key, String type, String id, String contentType, String data,
            Map<String, String> extensions) {
        ProducerRecord<String, String> record = cloudEvent(topic, key, type, id, contentType, data);
        extensions.forEach((name, value) -> {
            record.headers().remove("ce_" + name);
            record.headers().add("ce_" + name, bytes(value));
        });
        send(record);
    }

    /** Sends a binary-mode CloudEvent with a {@code time} attribute, for consumers that compare event times. */
    public void sendCloudEvent(String topic, String key, String type, String id, OffsetDateTime time, String json) {
        ProducerRecord<String, String> record = cloudEvent(topic, key, type, id, "application/json", json);
        record.headers().add("ce_time", bytes(time.toString()));
        send(record);
    }

    private static ProducerRecord<String, String> cloudEvent(String topic, String key, String type, String id,
            String contentType, String data) {
        ProducerRecord<String, String> record = new ProducerRecord<>(topic, key, data);
        record.headers().add("ce_specversion", bytes("1.0"));
        record.headers().add("ce_id", bytes(id));
        record.headers().add("ce_type", bytes(type));
        record.headers().add("ce_source", bytes(TEST_SOURCE));
        // As the services' producers do: consumers measure how long an event waited from this time.
        record.headers().add("ce_time", bytes(java.time.Instant.now().toString()));
        record.headers().add("content-type", bytes(contentType));
        return record;
    }

    /** Sends a structured-mode CloudEvent: the whole event, attributes and data, as the JSON value. */
    public void sendStructuredCloudEvent(String topic, String key, String eventJson) {
        ProducerRecord<String, String> record = new ProducerRecord<>(topic, key, eventJson);
        record.headers().add("content-type", bytes("application/cloudevents+json; charset=UTF-8"));
        send(record);
    }

    /** Sends a record with no CloudEvent headers at all. */
    public void sendPlain(String topic, String key, String value) {
        send(new ProducerRecord<>(topic, key, value));
    }

    private void send(ProducerRecord<String, String> record) {
        try {
            producer.send(record).get(30, TimeUnit.SECONDS);
        } catch (Exception e) {
            throw new IllegalStateException("could not send to " + record.topic(), e);
        }
    }

    /** Reads {@code topic} from the beginning until {@code count} records with {@code key} have arrived. */
    public List<ConsumerRecord<String, String>> awaitRecords(String topic, String key, int count, Duration timeout) {
        return awaitRecords(topic, record -> key.equals(record.key()), count, timeout);
    }

    public List<ConsumerRecord<String, String>> awaitRecords(String topic,
            Predicate<ConsumerRecord<String, String>> matching, int count, Duration timeout) {
        List<ConsumerRecord<String, String>> found = scan(topic, matching, count, timeout);
        if (found.size() < count) {
            throw new AssertionError("expected " + count + " matching record(s) on " + topic + " within " + timeout
                    + " but found " + found.size());
        }
        return found;
    }

    /** Reads {@code topic} for the whole {@code window} and returns every record with {@code key}. */
    public List<ConsumerRecord<String, String>> recordsWithin(String topic, String key, Duration window) {
        return scan(topic, record -> key.equals(record.key()), Integer.MAX_VALUE, window);
    }

    private List<ConsumerRecord<String, String>> scan(String topic, Predicate<ConsumerRecord<String, String>> matching,
            int enough, Duration timeout) {
        List<ConsumerRecord<String, String>> found = new ArrayList<>();
        Map<String, Object> consumerConfig = new HashMap<>(clientConfig);
        consumerConfig.put(ConsumerConfig.GROUP_ID_CONFIG, "test-" + UUID.randomUUID());
        consumerConfig.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
        try (KafkaConsumer<String, String> consumer = new KafkaConsumer<>(consumerConfig,
                new StringDeserializer(), new StringDeserializer())) {
            List<TopicPartition> partitions = consumer.partitionsFor(topic).stream()
                    .map(info -> new TopicPartition(topic, info.partition())).toList();
            consumer.assign(partitions);
            consumer.seekToBeginning(partitions);
            // A timeout is no failure here: the caller asserts on what was found.
            try {
                await().atMost(timeout).pollDelay(Duration.ZERO).pollInterval(Duration.ZERO).pollInSameThread()
                        .until(() -> {
                            consumer.poll(Duration.ofMillis(200)).forEach(record -> {
                                if (matching.test(record)) {
                                    found.add(record);
                                }
                            });
                            return found.size() >= enough;
                        });
            } catch (ConditionTimeoutException fewerThanEnough) {
                // returned as found
            }
        }
        return found;
    }

    public static Optional<String> header(ConsumerRecord<?, ?> record, String name) {
        Header header = record.headers().lastHeader(name);
        return header == null ? Optional.empty() : Optional.of(new String(header.value(), StandardCharsets.UTF_8));
    }

    private static byte[] bytes(String value) {
        return value.getBytes(StandardCharsets.UTF_8);
    }

    @Override
    public void close() {
        producer.close(Duration.ofSeconds(5));
    }
}
