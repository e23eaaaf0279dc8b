package dev.byoos.messaging;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.BiConsumer;
import java.util.stream.Stream;

import jakarta.enterprise.context.ApplicationScoped;

import org.eclipse.microprofile.reactive.messaging.Metadata;

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
 * configured with {@code failure-strategy=counted-dead-letter-queue} behaves exactly like
 * {@code dead-letter-queue} (same {@code dead-letter-queue.*} settings, same headers) and
 * increments {@value #DEAD_LETTERS}, tagged with the topic the record came from, once Kafka
 * acknowledged the dead letter. The counters exist from the channel's start, at zero.
 *
 * <p>A channel subscribed to several topics ({@code topics=a,b}) has one dead-letter setting but
 * many sources: each record goes to its own topic's dead-letter topic ({@link Topics#deadLetter}), so a
 * poison record lands where it would with a channel per topic, and its counter is its topic's.
 */
@ApplicationScoped
@Identifier(CountedDeadLetterQueue.STRATEGY)
public class CountedDeadLetterQueue implements KafkaFailureHandler.Factory {

    public static final String STRATEGY = "counted-dead-letter-queue";
    public static final String DEAD_LETTERS = "byoos.dead.letters";

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

    @Override
    public KafkaFailureHandler create(KafkaConnectorIncomingConfiguration config, Vertx vertx,
            KafkaConsumer<?, ?> consumer, BiConsumer<Throwable, Boolean> reportFailure) {
        KafkaFailureHandler delegate = deadLetterQueue.create(config, vertx, consumer, reportFailure);
        Optional<List<String>> topics = config.getTopics().map(names -> Stream.of(names.split(","))
                .map(String::strip).filter(name -> !name.isEmpty()).toList());
        Map<String, Counter> deadLetters = new HashMap<>();
        topics.orElseGet(() -> List.of(config.getTopic().orElse(config.getChannel())))
                .forEach(topic -> deadLetters.put(topic, counter(topic)));
        return new KafkaFailureHandler() {
            @Override
            public <K, V> Uni<Void> handle(IncomingKafkaRecord<K, V> record, Throwable reason, Metadata metadata) {
                if (topics.isEmpty()) {
                    Counter counted = deadLetters.values().iterator().next();
                    return delegate.handle(record, reason, metadata).invoke(() -> counted.increment());
                }
                Counter counted = deadLetters.computeIfAbsent(record.getTopic(), CountedDeadLetterQueue.this::counter);
                // The connector's dead-letter queue takes a target topic from this metadata, if any.
                Metadata ownTopic = (metadata == null ? Metadata.empty() : metadata).with(OutgoingKafkaRecordMetadata.builder()
                        .withTopic(Topics.deadLetter(record.getTopic())).build());
                return delegate.handle(record, reason, ownTopic).invoke(() -> counted.increment());
            }

            @Override
            public void terminate() {
                delegate.terminate();
            }
        };
    }
}
