package dev.byoos.spec.messaging;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Supplier;

import jakarta.enterprise.context.ApplicationScoped;

import org.jboss.logging.Logger;

import io.smallrye.mutiny.Uni;
import io.vertx.core.Context;
import io.vertx.core.Vertx;

import dev.byoos.messaging.resilience.Backoff;
import dev.byoos.messaging.resilience.DependencyWait;
import dev.byoos.messaging.resilience.PostgresOutages;
import dev.byoos.messaging.resilience.Waiting;
import dev.byoos.spec.config.SpecServiceConfig;
import dev.byoos.spec.service.DatabaseOutages;

/**
 * How spec-service's consumers wait out a database outage: a record's work is tried again with
 * capped backoff ({@link DependencyWait}) for as long as PostgreSQL is unavailable
 * ({@link PostgresOutages}), so its channel (every partition of it, and for the pipeline-events
 * channel every one of its seven topics: a channel handles one record at a time) waits instead of
 * dead-lettering. Which channels wait, and for what, is what the
 * readiness check reports.
 */
@ApplicationScoped
public class ConsumerWaits {

    private static final Logger LOG = Logger.getLogger(ConsumerWaits.class);

    private final Backoff backoff;
    private final Map<String, Waiting> waiting = new ConcurrentHashMap<>();

    public ConsumerWaits(SpecServiceConfig config) {
        this.backoff = new Backoff(config.consumers().initialBackoff(), config.consumers().maxBackoff());
    }

    /**
     * {@code work}, subscribed again after each database outage. Each attempt runs on the record's
     * Vert.x context, where Hibernate Reactive must run; the backoff itself is scheduled elsewhere.
     */
    <T> Uni<T> run(String channel, Supplier<Uni<T>> work) {
        Context context = Vertx.currentContext();
        DependencyWait wait = new DependencyWait(backoff, pause -> {
            LOG.warnf("%s: waiting for the %s (attempt %d, next in %s): %s", channel, pause.dependency(),
                    pause.attempt(), pause.nextAttemptIn(), pause.failure().getMessage());
            waiting.put(channel, pause);
        });
        return wait.<T>retrying(() -> onContext(context, Uni.createFrom().<T>deferred(work::get)
                .onFailure(PostgresOutages::isOutage).transform(DatabaseOutages::unavailable)))
                .eventually(() -> waiting.remove(channel));
    }

    /** Channels waiting for a dependency now, with their latest pause. */
    public Map<String, Waiting> waiting() {
        return Map.copyOf(waiting);
    }

    private static <T> Uni<T> onContext(Context context, Uni<T> attempt) {
        return context == null ? attempt
                : attempt.runSubscriptionOn(command -> context.runOnContext(ignored -> command.run()));
    }
}
