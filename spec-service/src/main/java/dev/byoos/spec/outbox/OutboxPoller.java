package dev.byoos.spec.outbox;

import java.util.concurrent.atomic.AtomicBoolean;

import jakarta.annotation.Priority;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.enterprise.inject.Instance;
import jakarta.interceptor.Interceptor;

import io.quarkus.hibernate.reactive.panache.Panache;
import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.StartupEvent;
import io.quarkus.scheduler.Scheduled;
import io.smallrye.mutiny.Uni;

import dev.byoos.spec.observability.BuildMetrics;
import dev.byoos.spec.repository.OutboxEntity;

/**
 * Polls the outbox for records that were not relayed right after their commit (a crash, a Kafka
 * outage). The scheduler starts before the messaging channels are wired, so the relay (and its
 * emitter) is only looked up once the application has started.
 */
@ApplicationScoped
public class OutboxPoller {

    private final Instance<OutboxRelay> relay;
    private final BuildMetrics metrics;
    private final AtomicBoolean started = new AtomicBoolean();

    public OutboxPoller(Instance<OutboxRelay> relay, BuildMetrics metrics) {
        this.relay = relay;
        this.metrics = metrics;
    }

    /** Observed after the default priority, i.e. after reactive messaging has started. */
    void onStart(@Observes @Priority(Interceptor.Priority.APPLICATION + 1000) StartupEvent event) {
        started.set(true);
    }

    void onShutdown(@Observes ShutdownEvent event) {
        started.set(false);
    }

    @Scheduled(every = "${byoos.spec.outbox.poll-interval}", concurrentExecution = Scheduled.ConcurrentExecution.SKIP)
    Uni<Void> poll() {
        if (!started.get()) {
            return Uni.createFrom().voidItem();
        }
        // The backlog left after a pass: records the relay could not publish (Kafka unreachable).
        return relay.get().relayAll().eventually(() -> Panache.withSession(OutboxEntity::countUnpublished)
                .invoke(metrics::outboxBacklog));
    }
}
