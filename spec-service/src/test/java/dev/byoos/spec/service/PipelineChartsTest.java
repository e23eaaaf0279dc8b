package dev.byoos.spec.service;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import java.time.Duration;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.stream.Collectors;
import java.util.stream.LongStream;

import org.junit.jupiter.api.Test;

import dev.byoos.spec.BuildState;
import dev.byoos.spec.service.PipelineCharts.Charts;
import dev.byoos.spec.service.PipelineCharts.Latency;
import dev.byoos.spec.service.PipelineCharts.Transition;

class PipelineChartsTest {

    static final OffsetDateTime SINCE = OffsetDateTime.of(2026, 12, 5, 10, 0, 0, 0, ZoneOffset.UTC);
    static final OffsetDateTime UNTIL = SINCE.plusMinutes(10);

    @Test
    void countsFinishedBuildsPerMinuteByOutcomeWithinTheWindowOnly() {
        UUID published = UUID.randomUUID();
        UUID failed = UUID.randomUUID();
        UUID before = UUID.randomUUID();
        Charts charts = PipelineCharts.of(List.of(
                at(published, BuildState.ACCEPTED, 0, 10), at(published, BuildState.PUBLISHED, 2, 30),
                at(failed, BuildState.ACCEPTED, 1, 0), at(failed, BuildState.FAILED, 2, 59),
                at(before, BuildState.ACCEPTED, -5, 0), at(before, BuildState.PUBLISHED, -1, 0)), SINCE, UNTIL);

        assertEquals("PT1M", charts.bucket());
        assertEquals(10, charts.throughput().size());
        assertEquals(SINCE.plusMinutes(2), charts.throughput().get(2).start());
        assertEquals(Map.of(BuildState.PUBLISHED, 1, BuildState.FAILED, 1, BuildState.CANCELLED, 0, BuildState.REUSED, 0),
                charts.throughput().get(2).finished());
        assertEquals(2, charts.throughput().stream().mapToInt(bucket -> bucket.finished().values().stream()
                .mapToInt(Integer::intValue).sum()).sum(), "the build finished before the window is not counted");
    }

    @Test
    void theBacklogIsWhereEachUnfinishedBuildStoodAtTheEndOfEachBucket() {
        UUID moving = UUID.randomUUID();
        UUID waiting = UUID.randomUUID();
        Charts charts = PipelineCharts.of(List.of(
                at(waiting, BuildState.ACCEPTED, -30, 0), at(waiting, BuildState.QUEUED, -29, 0),
                at(moving, BuildState.ACCEPTED, 0, 30), at(moving, BuildState.QUEUED, 0, 40),
                at(moving, BuildState.BUILDING, 3, 0), at(moving, BuildState.PUBLISHED, 5, 0)), SINCE, UNTIL);

        assertEquals(SINCE.plusMinutes(1), charts.backlog().get(0).at());
        assertEquals(2, charts.backlog().get(0).unfinished().get(BuildState.QUEUED));
        assertEquals(1, charts.backlog().get(2).unfinished().get(BuildState.BUILDING), "entered at the sample's time");
        assertEquals(1, charts.backlog().get(2).unfinished().get(BuildState.QUEUED));
        assertEquals(Map.of(BuildState.ACCEPTED, 0, BuildState.QUEUED, 1, BuildState.BUILDING, 0, BuildState.BUILT, 0,
                BuildState.STORED, 0), charts.backlog().get(9).unfinished());
        assertEquals(UNTIL, charts.backlog().get(9).at());
    }

    @Test
    void eachStagesLatencyIsTheTimeBetweenEnteringAStateAndTheNextWithTheBootTestOnItsOwn() {
        List<Transition> transitions = new java.util.ArrayList<>();
        // Twenty builds queued 1..20 s; each built in 60 s of which 15 s boot test.
        for (int i = 1; i <= 20; i++) {
            UUID build = UUID.randomUUID();
            transitions.add(at(build, BuildState.QUEUED, 0, 0));
            transitions.add(new Transition(build, BuildState.BUILDING, SINCE.plusSeconds(i), 15_000L));
            transitions.add(new Transition(build, BuildState.BUILT, SINCE.plusSeconds(i + 60), 15_000L));
        }
        Map<String, Latency> latency = PipelineCharts.of(transitions, SINCE, UNTIL).latency().stream()
                .collect(Collectors.toMap(Latency::stage, stage -> stage));

        assertEquals(List.of("accepted", "queued", "building", "boot test", "storing", "publishing"),
                PipelineCharts.of(transitions, SINCE, UNTIL).latency().stream().map(Latency::stage).toList());
        assertEquals(new Latency("queued", 20, 10_000L, 19_000L), latency.get("queued"));
        assertEquals(new Latency("building", 20, 45_000L, 45_000L), latency.get("building"));
        assertEquals(new Latency("boot test", 20, 15_000L, 15_000L), latency.get("boot test"));
        assertEquals(0, latency.get("storing").samples(), "no build left BUILT");
        assertNull(latency.get("storing").p50Millis());
    }

    @Test
    void percentilesAreNearestRank() {
        List<Long> hundred = LongStream.rangeClosed(1, 100).boxed().toList();
        assertEquals(50, PipelineCharts.percentile(hundred, 50));
        assertEquals(95, PipelineCharts.percentile(hundred, 95));
        assertEquals(7, PipelineCharts.percentile(List.of(7L), 95));
    }

    @Test
    void longWindowsHaveWholeMinuteBucketsAboutSixtyOfThem() {
        assertEquals(Duration.ofMinutes(1), PipelineCharts.bucket(Duration.ofMinutes(5)));
        assertEquals(Duration.ofMinutes(1), PipelineCharts.bucket(Duration.ofHours(1)));
        assertEquals(Duration.ofMinutes(24), PipelineCharts.bucket(Duration.ofDays(1)));
    }

    private static Transition at(UUID build, BuildState state, int minutes, int seconds) {
        return new Transition(build, state, SINCE.plusMinutes(minutes).plusSeconds(seconds), null);
    }
}
