package dev.byoos.spec.observability;

import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

import jakarta.annotation.PostConstruct;
import jakarta.enterprise.context.ApplicationScoped;

import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.quarkus.hibernate.reactive.panache.Panache;
import io.quarkus.scheduler.Scheduled;
import io.smallrye.mutiny.Uni;

import dev.byoos.spec.BuildState;
import dev.byoos.spec.config.SpecServiceConfig;
import dev.byoos.spec.repository.BuildEntity;

/**
 * {@value #STUCK}: builds of every team not in a final state whose record has not changed for
 * {@code byoos.spec.pipeline.stuck-after}, by the stage that owes the next event ({@code intake},
 * {@code build}, {@code artifact}, {@code pack}; the alert
 * {@code BuildsStuck} reads it). Counted with one query per poll; every replica reports the same
 * count, so rules take the maximum, not the sum.
 */
@ApplicationScoped
public class StuckBuildsGauge {

    public static final String STUCK = "byoos.builds.stuck";

    private static final List<BuildState> IN_FLIGHT = Arrays.stream(BuildState.values())
            .filter(state -> !state.isTerminal()).toList();

    private final MeterRegistry registry;
    private final SpecServiceConfig config;
    private final Map<String, AtomicLong> stuckByStage = new ConcurrentHashMap<>();

    public StuckBuildsGauge(MeterRegistry registry, SpecServiceConfig config) {
        this.registry = registry;
        this.config = config;
    }

    /** Every stage's series exists from the start, at zero: an alert sees "none stuck", not "no data". */
    @PostConstruct
    void registerStages() {
        IN_FLIGHT.forEach(state -> stage(stageOf(state)));
    }

    @Scheduled(every = "${byoos.spec.pipeline.health-poll-interval}", delayed = "1s",
            concurrentExecution = Scheduled.ConcurrentExecution.SKIP)
    Uni<Void> count() {
        OffsetDateTime silentSince = OffsetDateTime.now(ZoneOffset.UTC).minus(config.pipeline().stuckAfter());
        return Panache.withSession(() -> BuildEntity.getSession().flatMap(session -> session
                .createSelectionQuery("select b.state, count(b) from BuildEntity b where b.state in :inFlight "
                        + "and b.updatedAt < :silentSince group by b.state", Object[].class)
                .setParameter("inFlight", IN_FLIGHT)
                .setParameter("silentSince", silentSince)
                .getResultList()))
                .invoke(this::record)
                .onFailure().invoke(failure -> {
                    // The count is unknown while the database is: report nothing rather than a stale zero.
                    stuckByStage.values().forEach(count -> count.set(-1));
                })
                .onFailure().recoverWithNull()
                .replaceWithVoid();
    }

    private void record(List<Object[]> rows) {
        Map<String, Long> counts = new ConcurrentHashMap<>();
        for (Object[] row : rows) {
            counts.merge(stageOf((BuildState) row[0]), (Long) row[1], Long::sum);
        }
        stuckByStage.forEach((stage, count) -> count.set(counts.getOrDefault(stage, 0L)));
    }

    /** The pipeline stage that moves a build on from an unfinished {@code state}. */
    static String stageOf(BuildState state) {
        return switch (state) {
            case ACCEPTED -> "intake";
            case QUEUED, BUILDING -> "build";
            case BUILT -> "artifact";
            case STORED -> "pack";
            case PUBLISHED, FAILED, CANCELLED, REUSED -> throw new IllegalArgumentException("final: " + state);
        };
    }

    private AtomicLong stage(String stage) {
        return stuckByStage.computeIfAbsent(stage, name -> {
            AtomicLong count = new AtomicLong();
            Gauge.builder(STUCK, count, value -> value.get() < 0 ? Double.NaN : value.get())
                    .description("Builds not in a final state and unchanged for longer than the stuck threshold, "
                            + "by the stage that owes the next event")
                    .tag("stage", name)
                    .strongReference(true)
                    .register(registry);
            return count;
        });
    }
}
