package dev.byoos.messaging;

import java.util.function.BiConsumer;

import jakarta.enterprise.context.ApplicationScoped;

import org.eclipse.microprofile.reactive.messaging.Metadata;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.smallrye.common.annotation.Identifier;
import io.smallrye.mutiny.Uni;
import io.smallrye.reactive.messaging.kafka.IncomingKafkaRecord;
import io.smallrye.reactive.messaging.kafka.KafkaConnectorIncomingConfiguration;
import io.smallrye.reactive.messaging.kafka.KafkaConsumer;
import io.smallrye.reactive.messaging.kafka.fault.KafkaFailureHandler;
import io.vertx.mutiny.core.Vertx;

/**
 * The connector's dead-letter-queue failure strategy, counting what it dead-letters: a channel
 * configured with {@code failure-strategy=counted-dead-letter-queue} behaves exactly like
 * {@code dead-letter-queue} (same {@code dead-letter-queue.*} settings, same headers) and
 * increments {@value #DEAD_LETTERS}, tagged with the topic the record came from, once Kafka
 * acknowledged the dead letter. The counter exists from the channel's start, at zero.
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

    @Override
    public KafkaFailureHandler create(KafkaConnectorIncomingConfiguration config, Vertx vertx,
            KafkaConsumer<?, ?> consumer, BiConsumer<Throwable, Boolean> reportFailure) {
        KafkaFailureHandler delegate = deadLetterQueue.create(config, vertx, consumer, reportFailure);
        String topic = config.getTopic().orElse(config.getChannel());
        Counter deadLetters = Counter.builder(DEAD_LETTERS)
                .description("Records a consumer could not process and wrote to the dead-letter topic")
                .tag("topic", topic)
                .register(registry);
        return new KafkaFailureHandler() {
            @Override
            public <K, V> Uni<Void> handle(IncomingKafkaRecord<K, V> record, Throwable reason, Metadata metadata) {
                return delegate.handle(record, reason, metadata).invoke(() -> deadLetters.increment());
            }

            @Override
            public void terminate() {
                delegate.terminate();
            }
        };
    }
}
