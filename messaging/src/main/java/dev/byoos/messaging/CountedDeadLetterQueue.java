package dev.byoos.messaging;

import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.BiConsumer;
import java.util.stream.Stream;

import jakarta.enterprise.context.ApplicationScoped;

import org.eclipse.microprofile.reactive.messaging.Metadata;
import org.jboss.logging.Logger;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.smallrye.common.annotation.Identifier;
import io.smallrye.mutiny.Uni;
import io.smallrye.reactive.messaging.kafka.IncomingKafkaRecord;
import io.smallrye.reactive.messaging.kafka.KafkaConnectorIncomingConfiguration;
import io.smallrye.reactive.messaging.kafka.KafkaConsumer;
import io.smallrye.reactive.messaging.kafka.api.OutgoingKafkaRecordMetadata;
import io.smallrye.reactive.messaging.kafka.fault.KafkaFailureHandler;
import io.vertx.mutiny.core.Vertx;

import dev.byoos.contract.Topics;

/**
 * The connector's dead-letter-queue failure strategy, counting what it dead-letters: a channel
 * configured with {@code failure-strategy=counted-dead-letter-queue} sends each record it could not
 * process to its own topic's dead-letter topic, {@code <topic>.dlq} ({@link Topics#deadLetter}),
 * with the connector's dead-letter headers, and increments {@value #DEAD_LETTERS}, tagged with the
 * record's topic, once Kafka acknowledged the dead letter. The counters exist from the channel's
 * start, at zero.
 *
 * <p>The target is always the record's own topic's: a channel subscribed to several topics
 * ({@code topics=a,b}) puts each poison record where a channel per topic would, and the Kafka ACLs
 * and the dead-letter API know one name per topic. A {@code dead-letter-queue.topic} setting is not
 * used.
 *
 * <p>A poison record must never stop its channel, and a dead letter is the record plus headers, so
 * whoever writes the topic can make one that does not fit: a record just under the broker's size
 * limit, or a failure whose message quotes a large part of the record (the connector copies the
 * message into a header). So the failure's message and its cause's are cut to
 * {@value #MAX_REASON_LENGTH} characters, and a record whose dead letter would still be too large,
 * or that Kafka refuses for good (not a passing outage), is logged with its coordinates and why,
 * counted in {@value #UNWRITABLE}, and acknowledged. Unhandled, the connector would end the
 * channel's stream on the refused write, and every replica that took the partition over would stop
 * at the same record.
 */
@ApplicationScoped
@Identifier(CountedDeadLetterQueue.STRATEGY)
public class CountedDeadLetterQueue implements KafkaFailureHandler.Factory {

    public static final String STRATEGY = "counted-dead-letter-queue";
    public static final String DEAD_LETTERS = "byoos.dead.letters";
    /** Records that could not be processed and could not be dead-lettered either: skipped, logged. */
    public static final String UNWRITABLE = "byoos.dead.letters.unwritable";
    static final int MAX_REASON_LENGTH = 1000;
    private static final Logger LOG = Logger.getLogger(CountedDeadLetterQueue.class);

    private final KafkaFailureHandler.Factory deadLetterQueue;
    private final MeterRegistry registry;

    CountedDeadLetterQueue(
            @Identifier(KafkaFailureHandler.Strategy.DEAD_LETTER_QUEUE) KafkaFailureHandler.Factory deadLetterQueue,
            MeterRegistry registry) {
        this.deadLetterQueue = deadLetterQueue;
        this.registry = registry;
    }

    private Counter counter(String topic) {
        return Counter.builder(DEAD_LETTERS)
                .description("Records a consumer could not process and wrote to the dead-letter topic")
                .tag("topic", topic)
                .register(registry);
    }

    private Counter unwritable(String topic) {
        return Counter.builder(UNWRITABLE)
                .description("Records a consumer could not process, could not write to the dead-letter topic either, "
                        + "and skipped (logged with partition and offset)")
                .tag("topic", topic)
                .register(registry);
    }

    @Override
    public KafkaFailureHandler create(KafkaConnectorIncomingConfiguration config, Vertx vertx,
            KafkaConsumer<?, ?> consumer, BiConsumer<Throwable, Boolean> reportFailure) {
        KafkaFailureHandler delegate = deadLetterQueue.create(config, vertx, consumer, reportFailure);
        List<String> topics = config.getTopics().map(names -> Stream.of(names.split(","))
                .map(String::strip).filter(name -> !name.isEmpty()).toList())
                .orElseGet(() -> List.of(config.getTopic().orElse(config.getChannel())));
        Map<String, Counter> deadLetters = new ConcurrentHashMap<>();
        Map<String, Counter> skipped = new ConcurrentHashMap<>();
        topics.forEach(topic -> {
            deadLetters.put(topic, counter(topic));
            skipped.put(topic, unwritable(topic));
        });
        return new KafkaFailureHandler() {
            @Override
            public <K, V> Uni<Void> handle(IncomingKafkaRecord<K, V> record, Throwable reason, Metadata metadata) {
                Counter counted = deadLetters.computeIfAbsent(record.getTopic(), CountedDeadLetterQueue.this::counter);
                // The connector's dead-letter queue takes its target topic from this metadata.
                Metadata ownTopic = (metadata == null ? Metadata.empty() : metadata).with(OutgoingKafkaRecordMetadata.builder()
                        .withTopic(Topics.deadLetter(record.getTopic())).build());
                Throwable bounded = BoundedFailure.of(reason, MAX_REASON_LENGTH);
                int size = DeadLetterSize.estimate(record, bounded);
                if (size > DeadLetterSize.MAX_REQUEST_BYTES) {
                    // Not even offered: a refused write would also hold one of the dead-letter sender's
                    // in-flight slots for good, and enough of them would stop it.
                    return skip(record, bounded, "its dead letter would be " + size + " bytes, over Kafka's request "
                            + "limit of " + DeadLetterSize.MAX_REQUEST_BYTES);
                }
                return delegate.handle(record, bounded, ownTopic)
                        .invoke(() -> counted.increment())
                        // A refusal that would pass (Kafka away, a leader moving) fails as before: the
                        // record is not committed and comes back. Only what Kafka never takes is skipped.
                        .onFailure(DeadLetterSize::refusedForGood)
                        .recoverWithUni(refused -> skip(record, bounded, refused.toString()));
            }

            private Uni<Void> skip(IncomingKafkaRecord<?, ?> record, Throwable bounded, String why) {
                LOG.errorf("a record of %s (partition %d, offset %d) could not be processed (%s) nor written to %s "
                        + "(%s); it is skipped, and stays readable at that offset until the topic's retention removes it",
                        record.getTopic(), record.getPartition(), record.getOffset(), bounded.getMessage(),
                        Topics.deadLetter(record.getTopic()), why);
                skipped.computeIfAbsent(record.getTopic(), CountedDeadLetterQueue.this::unwritable).increment();
                return Uni.createFrom().completionStage(record.ack());
            }

            @Override
            public void terminate() {
                delegate.terminate();
            }
        };
    }
}
