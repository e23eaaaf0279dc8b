package dev.byoos.spec.service;

import java.time.Duration;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.stream.Collectors;

import dev.byoos.spec.BuildState;

/**
 * The pipeline page's charts over a window, computed from the state times the database records
 * for every build ({@code build_transition}): how many builds finished per bucket by outcome, how
 * many were unfinished at the end of each bucket by state, and how long builds spent in each stage.
 * Pure: the caller loads the transitions.
 */
public final class PipelineCharts {

    /** About this many buckets per window; at least a minute each (the throughput unit). */
    static final int BUCKETS = 60;
    static final Duration MIN_BUCKET = Duration.ofMinutes(1);

    /** One state a build entered, and when; {@code bootTestMillis} is the build's boot test time, if it had one. */
    public record Transition(UUID buildId, BuildState state, OffsetDateTime enteredAt, Long bootTestMillis) {
    }

    /** Builds that entered each final state within [start, start + bucket). */
    public record Throughput(OffsetDateTime start, Map<BuildState, Integer> finished) {
    }

    /** Builds in each unfinished state at {@code at}. */
    public record Backlog(OffsetDateTime at, Map<BuildState, Integer> unfinished) {
    }

    /**
     * Time builds spent in one stage, from the stage's ends within the window.
     *
     * @param stage   accepted (the outbox), queued, building (without the boot test), boot test,
     *                storing (artifact-service), publishing (pack-publisher)
     * @param samples how many stage ends the percentiles are over (0: no p50/p95)
     */
    public record Latency(String stage, int samples, Long p50Millis, Long p95Millis) {
    }

    /**
     * @param bucket the length of a throughput bucket and the distance between backlog samples
     *               (ISO-8601 duration)
     */
    public record Charts(String bucket, List<Throughput> throughput, List<Backlog> backlog, List<Latency> latency) {
    }

    static final String BOOT_TEST = "boot test";
    /** The stage a build is in while it is in a state: what its time there measures. */
    private static final Map<BuildState, String> STAGE_OF_STATE = new EnumMap<>(Map.of(
            BuildState.ACCEPTED, "accepted", BuildState.QUEUED, "queued", BuildState.BUILDING, "building",
            BuildState.BUILT, "storing", BuildState.STORED, "publishing"));
    private static final List<String> STAGES = List.of("accepted", "queued", "building", BOOT_TEST, "storing",
            "publishing");

    private PipelineCharts() {
    }

    /** The bucket for a window: the window split in {@value #BUCKETS}, rounded up to whole minutes. */
    public static Duration bucket(Duration window) {
        long minutes = Math.max(1, (window.toSeconds() + BUCKETS * 60L - 1) / (BUCKETS * 60L));
        return MIN_BUCKET.multipliedBy(minutes);
    }

    /**
     * @param transitions every transition of each build that was unfinished at some time in
     *                    [since, until): a build's earlier states say where it stood when the window began
     */
    public static Charts of(List<Transition> transitions, OffsetDateTime since, OffsetDateTime until) {
        Duration bucket = bucket(Duration.between(since, until));
        Map<UUID, List<Transition>> byBuild = transitions.stream().collect(Collectors.groupingBy(Transition::buildId,
                LinkedHashMap::new, Collectors.toList()));
        byBuild.values().forEach(states -> states.sort(Comparator.comparing(Transition::enteredAt)));
        return new Charts(bucket.toString(), throughput(transitions, since, until, bucket), backlog(byBuild, since, until, bucket),
                latency(byBuild, since, until));
    }

    private static List<Throughput> throughput(List<Transition> transitions, OffsetDateTime since, OffsetDateTime until,
            Duration bucket) {
        List<Throughput> buckets = new ArrayList<>();
        for (OffsetDateTime start = since; start.isBefore(until); start = start.plus(bucket)) {
            buckets.add(new Throughput(start, zeros(true)));
        }
        for (Transition transition : transitions) {
            if (transition.state().isTerminal() && within(transition.enteredAt(), since, until)) {
                int index = (int) (Duration.between(since, transition.enteredAt()).toMillis() / bucket.toMillis());
                buckets.get(index).finished().merge(transition.state(), 1, Integer::sum);
            }
        }
        return buckets;
    }

    private static List<Backlog> backlog(Map<UUID, List<Transition>> byBuild, OffsetDateTime since,
            OffsetDateTime until, Duration bucket) {
        List<Backlog> samples = new ArrayList<>();
        for (OffsetDateTime start = since; start.isBefore(until); start = start.plus(bucket)) {
            OffsetDateTime at = start.plus(bucket).isAfter(until) ? until : start.plus(bucket);
            Map<BuildState, Integer> unfinished = zeros(false);
            for (List<Transition> states : byBuild.values()) {
                BuildState current = null;
                for (Transition transition : states) {
                    if (transition.enteredAt().isAfter(at)) {
                        break;
                    }
                    current = transition.state();
                }
                if (current != null && !current.isTerminal()) {
                    unfinished.merge(current, 1, Integer::sum);
                }
            }
            samples.add(new Backlog(at, unfinished));
        }
        return samples;
    }

    /** A stage's time ends when the build enters its next state; those ends within the window count. */
    private static List<Latency> latency(Map<UUID, List<Transition>> byBuild, OffsetDateTime since,
            OffsetDateTime until) {
        Map<String, List<Long>> samples = new LinkedHashMap<>();
        STAGES.forEach(stage -> samples.put(stage, new ArrayList<>()));
        for (List<Transition> states : byBuild.values()) {
            for (int i = 0; i + 1 < states.size(); i++) {
                Transition in = states.get(i);
                Transition next = states.get(i + 1);
                String stage = STAGE_OF_STATE.get(in.state());
                if (stage == null || !within(next.enteredAt(), since, until)) {
                    continue;
                }
                long millis = Duration.between(in.enteredAt(), next.enteredAt()).toMillis();
                // The worker boot-tests the image before it reports it built: that time is its own stage.
                Long bootTest = in.state() == BuildState.BUILDING ? in.bootTestMillis() : null;
                if (bootTest != null) {
                    samples.get(BOOT_TEST).add(bootTest);
                    millis = Math.max(0, millis - bootTest);
                }
                samples.get(stage).add(millis);
            }
        }
        return samples.entrySet().stream().map(stage -> {
            List<Long> sorted = stage.getValue().stream().sorted().toList();
            return sorted.isEmpty() ? new Latency(stage.getKey(), 0, null, null)
                    : new Latency(stage.getKey(), sorted.size(), percentile(sorted, 50), percentile(sorted, 95));
        }).toList();
    }

    /** Nearest rank: the smallest sample that at least {@code percent}% of the samples are at or below. */
    static long percentile(List<Long> sorted, int percent) {
        int rank = (int) Math.ceil(percent / 100.0 * sorted.size());
        return sorted.get(Math.max(0, rank - 1));
    }

    private static boolean within(OffsetDateTime time, OffsetDateTime since, OffsetDateTime until) {
        return !time.isBefore(since) && time.isBefore(until);
    }

    private static Map<BuildState, Integer> zeros(boolean terminal) {
        Map<BuildState, Integer> counts = new EnumMap<>(BuildState.class);
        for (BuildState state : BuildState.values()) {
            if (state.isTerminal() == terminal) {
                counts.put(state, 0);
            }
        }
        return counts;
    }
}
