package dev.byoos.artifact.service;

import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Supplier;

import jakarta.annotation.PreDestroy;
import jakarta.enterprise.context.ApplicationScoped;

import org.eclipse.microprofile.health.Readiness;

import io.smallrye.mutiny.Uni;
import io.vertx.mutiny.core.Context;
import io.vertx.mutiny.core.Vertx;

import dev.byoos.artifact.config.AnnounceConfig;
import dev.byoos.artifact.config.DatabaseRetryConfig;
import dev.byoos.artifact.health.OutageReadiness;
import dev.byoos.artifact.repository.DatabaseFailures;
import dev.byoos.messaging.resilience.Backoff;
import dev.byoos.messaging.resilience.DependencyWait;
import dev.byoos.messaging.resilience.WaitAbandonedException;
import dev.byoos.messaging.resilience.WaitListener;

/**
 * Runs this service's work through {@link DependencyWait}: database failures are sorted by
 * {@link DatabaseFailures} (an outage is waited out, anything else is the caller's), every attempt
 * runs on the caller's Vert.x context (Hibernate Reactive must; the backoff's timer is not), and
 * readiness is down while the work waits ({@link OutageReadiness}).
 */
@ApplicationScoped
public class DependencyWaits {

    private final Vertx vertx;
    private final OutageReadiness readiness;
    private final Backoff databaseBackoff;
    /** Set once the service stops: what fails from then on (a closed pool) is no answer about the work. */
    private volatile boolean stopping;

    private final Backoff announceBackoff;

    public DependencyWaits(Vertx vertx, @Readiness OutageReadiness readiness, DatabaseRetryConfig database,
            AnnounceConfig announce) {
        this.vertx = vertx;
        this.readiness = readiness;
        this.databaseBackoff = new Backoff(database.initialBackoff(), database.maxBackoff());
        this.announceBackoff = new Backoff(announce.initialBackoff(), announce.maxBackoff());
    }

    @PreDestroy
    void stop() {
        stopping = true;
    }

    /** Database work, waited out with {@code byoos.artifact.database.retry.*} while PostgreSQL is down. */
    public <T> Uni<T> database(Supplier<Uni<T>> work, WaitListener listener) {
        return waitingOut(databaseBackoff, work, listener);
    }

    /**
     * An announcement ({@link dev.byoos.messaging.KafkaSends}), sent again with
     * {@code byoos.artifact.announce.*} while Kafka does not take it.
     */
    public <T> Uni<T> kafka(Supplier<Uni<T>> send, WaitListener listener) {
        return waitingOut(announceBackoff, send, listener);
    }

    /**
     * {@code work} until it succeeds or fails permanently; {@code listener} is told of each wait
     * before it starts.
     *
     * @throws WaitAbandonedException (as the Uni's failure) when the work failed because the service
     *         is stopping: the caller leaves its message unacknowledged, to be redelivered
     */
    public <T> Uni<T> waitingOut(Backoff backoff, Supplier<Uni<T>> work, WaitListener listener) {
        return Uni.createFrom().deferred(() -> {
            Context context = vertx.getOrCreateContext();
            Set<String> waitedFor = ConcurrentHashMap.newKeySet();
            DependencyWait wait = new DependencyWait(backoff, pause -> {
                if (pause.dependency() != null && waitedFor.add(pause.dependency())) {
                    readiness.waiting(pause.dependency());
                }
                listener.waiting(pause);
            });
            return wait.<T>retrying(() -> Uni.createFrom().<T>deferred(work::get)
                            .runSubscriptionOn(command -> context.runOnContext(command))
                            .onFailure().transform(DatabaseFailures::classify))
                    .emitOn(command -> context.runOnContext(command))
                    .onFailure(failure -> stopping).transform(WaitAbandonedException::new)
                    .onTermination().invoke(() -> waitedFor.forEach(readiness::recovered));
        });
    }
}
