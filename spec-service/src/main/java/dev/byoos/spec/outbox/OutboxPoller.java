package dev.byoos.spec.outbox;

import java.time.Duration;
import java.util.concurrent.atomic.AtomicBoolean;

import jakarta.annotation.Priority;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.enterprise.inject.Instance;
import jakarta.interceptor.Interceptor;

import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.StartupEvent;
import io.quarkus.scheduler.Scheduled;
import io.smallrye.mutiny.Uni;

import dev.byoos.spec.config.SpecServiceConfig;
import dev.byoos.spec.observability.BuildMetrics;

/**
 * Polls the outbox for records that were not relayed right after their commit (a crash, a Kafka
 * outage): every {@code poll-interval} while the relay may have left some, otherwise every
 * {@code idle-poll-interval} (another replica's crash is all that can leave records then), so an
 * idle service does not query the database every second. The first tick after start always looks.
 * The scheduler starts before the messaging channels are wired, so the relay (and its emitter) is
 * only looked up once the application has started.
 */
@ApplicationScoped
public class OutboxPoller {

    private final Instance<OutboxRelay> relay;
    private final BuildMetrics metrics;
    private final Duration idlePollInterval;
    private final AtomicBoolean started = new AtomicBoolean();
    /** When the last pass started (System.nanoTime()); null before the first. */
    private volatile Long lastPass;

    public OutboxPoller(Instance<OutboxRelay> relay, BuildMetrics metrics, SpecServiceConfig config) {
        this.relay = relay;
        this.metrics = metrics;
        this.idlePollInterval = config.outbox().idlePollInterval();
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
        long now = System.nanoTime();
        if (!due(lastPass, now, relay.get().mayHaveUnpublished(), idlePollInterval)) {
            return Uni.createFrom().voidItem();
        }
        lastPass = now;
        // A pass that emptied the outbox sets the backlog itself, to the records left for other
        // releases (counted here after each of the poller's passes); one that failed (Kafka
        // unreachable) leaves records, counted here and again by each poll until a pass succeeds.
        return relay.get().relayAll()
                .call(() -> relay.get().countForOtherReleases())
                .replaceWithVoid()
                .onFailure().call(() -> relay.get().countUnpublished().invoke(metrics::outboxBacklog));
    }

    /**
     * @param lastPass when the previous pass started (nanoTime), null before the first
     * @return whether a tick at {@code now} looks at the outbox
     */
    static boolean due(Long lastPass, long now, boolean mayHaveUnpublished, Duration idlePollInterval) {
        return lastPass == null || mayHaveUnpublished || now - lastPass >= idlePollInterval.toNanos();
    }
}
