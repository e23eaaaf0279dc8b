package dev.byoos.worker.service;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.URI;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;

import jakarta.inject.Inject;

import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.junit.jupiter.api.Test;

import io.opentelemetry.api.trace.Tracer;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;

import dev.byoos.contract.BuildCompleted;
import dev.byoos.contract.BuildCoordinates;
import dev.byoos.contract.BuildFailed;
import dev.byoos.contract.BuildRequested;
import dev.byoos.contract.EventJson;
import dev.byoos.contract.EventTypes;
import dev.byoos.contract.Topics;
import dev.byoos.testsupport.DevStackResource;
import dev.byoos.testsupport.KafkaTestClient;
import dev.byoos.testsupport.PrometheusMetrics;
import dev.byoos.worker.builder.Processes;
import dev.byoos.worker.builder.TestBases;
import dev.byoos.worker.config.WorkerConfig;
import dev.byoos.worker.messaging.TestBasesResource;
import dev.byoos.worker.observability.WorkerMetrics;
import dev.byoos.worker.storage.StagingStore;

/**
 * One attempt at a time across workers: the worker under test (Kafka and S3 real) beside a second
 * worker in the same JVM (a {@link BuildService} with leases, running builds and cancellations of
 * its own), or beside another worker's lease written by the test.
 */
@QuarkusTest
@QuarkusTestResource(DevStackResource.class)
@QuarkusTestResource(TestBasesResource.class)
class LeaseAcrossWorkersTest {

    private static final Duration TIMEOUT = Duration.ofSeconds(90);
    private static final Duration QUIET = Duration.ofSeconds(2);

    @ConfigProperty(name = "kafka.bootstrap.servers")
    String bootstrapServers;
    @TestHTTPResource("/q/metrics")
    URI metricsUrl;

    @Inject
    WorkerConfig config;
    @Inject
    StagingStore staging;
    @Inject
    BuildOutputs outputs;
    @Inject
    BuildAttempts attempts;
    @Inject
    BuildEvents events;
    @Inject
    WorkerMetrics metrics;
    @Inject
    OutageWaits outages;
    @Inject
    Tracer tracer;

    /** A request whose post script is {@code script}: a path, unique to the test, so the test can see it run. */
    static BuildRequested request(String buildId, String script) {
        return new BuildRequested(new BuildCoordinates(buildId, "platform", "node", 1, "cd".repeat(32),
                new BuildCoordinates.OperatingSystem("debian", "12"), "1.30.4",
                new BuildCoordinates.Target("qemu", "qcow2"), new BuildCoordinates.Pack("p", "1.0.0", "P")),
                new BuildRequested.BaseImage(TestBases.BUSYBOX),
                List.of(new BuildRequested.FileCustomization("/etc/motd", "lease " + buildId + "\n", "0644")),
                BuildRequested.STANDARD, null, null, null, null, null,
                List.of(new BuildRequested.Script("wait", "post", script + "\n", 600)));
    }

    private static void send(KafkaTestClient kafka, BuildRequested request) {
        kafka.sendCloudEvent(Topics.BUILDS_REQUESTED, request.build().buildId(), EventTypes.BUILD_REQUESTED,
                UUID.randomUUID().toString(), EventJson.write(request));
    }

    private BuildLeases otherWorker(String name, Clock clock) {
        return new BuildLeases(staging, name, config.lease().duration(), config.lease().renewalInterval(),
                clock);
    }

    private static Clock shifted(Duration by) {
        return Clock.fixed(Instant.now().plus(by), ZoneOffset.UTC);
    }

    @Test
    void aRequestHandledByASecondWorkerWhileTheFirstBuildsWaitsForItAndTheBuildCompletesOnce() {
        try (KafkaTestClient kafka = new KafkaTestClient(bootstrapServers)) {
            String script = "/bin/sleep 6";
            String buildId = UUID.randomUUID().toString();
            BuildRequested request = request(buildId, script);
            send(kafka, request);
            kafka.awaitRecords(Topics.BUILDS_STARTED, buildId, 1, TIMEOUT);
            Processes.awaitStarted(script, TIMEOUT);
            BuildService secondWorker = new BuildService(config, new CancellationRegistry(config), outputs, attempts,
                    events, otherWorker("second-worker", Clock.systemUTC()), metrics, outages, tracer);

            // Returns once the first worker's attempt ended, having built nothing itself.
            secondWorker.build(request, Optional.empty());

            List<?> completed = kafka.recordsWithin(Topics.BUILDS_COMPLETED, buildId, QUIET);
            assertEquals(1, completed.size(), "the first worker's build completed, once");
            assertEquals(1, kafka.recordsWithin(Topics.BUILDS_STARTED, buildId, QUIET).size(), "one attempt started");
            assertEquals(List.of(), kafka.recordsWithin(Topics.BUILDS_FAILED, buildId, QUIET));
        }
    }

    @Test
    void aLeaseLeftByACrashedWorkerIsTakenOverWithTheNextAttemptUnderKeysOfItsOwn() {
        try (KafkaTestClient kafka = new KafkaTestClient(bootstrapServers)) {
            String buildId = UUID.randomUUID().toString();
            // Taken by a worker that died long ago: its lease expired a lease duration ago.
            BuildLeases crashed = otherWorker("crashed-worker", shifted(config.lease().duration().multipliedBy(-2)));
            BuildLeases.Acquired stale = (BuildLeases.Acquired) crashed.tryAcquire(buildId, 0);

            send(kafka, request(buildId, "/bin/true"));

            String announced = kafka.awaitRecords(Topics.BUILDS_COMPLETED, buildId, 1, TIMEOUT).get(0).value();
            BuildCompleted completed = EventJson.read(announced, BuildCompleted.class);
            long next = stale.lease().attempt() + 1;
            assertEquals("builds/" + buildId + "/attempt-" + next + "/disk.qcow2", completed.image().key());
        }
    }

    @Test
    void anAttemptWhoseLeaseAnotherWorkerTookOverAnnouncesNothing() {
        try (KafkaTestClient kafka = new KafkaTestClient(bootstrapServers)) {
            Map<String, String> team = Map.of("team", "platform");
            double lostBefore = PrometheusMetrics.scrape(metricsUrl).sum("byoos_build_leases_lost_total", team);
            String script = "/bin/sleep 300";
            String buildId = UUID.randomUUID().toString();
            send(kafka, request(buildId, script));
            kafka.awaitRecords(Topics.BUILDS_STARTED, buildId, 1, TIMEOUT);
            Processes.awaitStarted(script, TIMEOUT);

            // A worker whose clock is a lease duration ahead finds the running attempt's lease expired, and takes it.
            BuildLeases successor = otherWorker("successor", shifted(config.lease().duration().plusSeconds(5)));
            BuildLeases.Acquired takenOver = (BuildLeases.Acquired) successor.tryAcquire(buildId, 0);
            try {
                PrometheusMetrics.awaitSum(metricsUrl, "byoos_build_leases_lost_total", team, lostBefore + 1, TIMEOUT);
                Processes.awaitGone(script);
                assertEquals(List.of(), kafka.recordsWithin(Topics.BUILDS_COMPLETED, buildId, QUIET));
                assertEquals(List.of(), kafka.recordsWithin(Topics.BUILDS_FAILED, buildId, QUIET));
            } finally {
                successor.release(takenOver.lease());
            }
        }
    }

    @Test
    void aBuildWhoseAttemptsKilledThreeWorkersFailsAsWorkerCrashedInsteadOfKillingTheNext() {
        try (KafkaTestClient kafka = new KafkaTestClient(bootstrapServers)) {
            String buildId = UUID.randomUUID().toString();
            // Three workers took the build in turn and died with it: each lease expired unreleased.
            crashAttempts(buildId, config.maxCrashedAttempts());

            send(kafka, request(buildId, "/bin/true"));

            BuildFailed failed = EventJson.read(kafka.awaitRecords(Topics.BUILDS_FAILED, buildId, 1, TIMEOUT).get(0)
                    .value(), BuildFailed.class);
            assertEquals("WORKER_CRASHED", failed.code());
            assertEquals(BuildFailed.INFRASTRUCTURE, failed.category());
            assertEquals(3, failed.attempts());
            assertTrue(failed.reason().startsWith("3 attempts at this build ended without a result"), failed.reason());
            assertEquals(List.of(), kafka.recordsWithin(Topics.BUILDS_STARTED, buildId, QUIET), "not built again");
            assertEquals(List.of(), kafka.recordsWithin(Topics.BUILDS_COMPLETED, buildId, QUIET));
            // The failing attempt released its lease: a redelivery finds it ended rather than crashed.
            BuildLeases.Acquired next = (BuildLeases.Acquired) otherWorker("next", Clock.systemUTC())
                    .tryAcquire(buildId, 0);
            assertEquals(5, next.lease().attempt());
            assertEquals(3, next.lease().crashedBefore());
        }
    }

    @Test
    void twoCrashedAttemptsAreNotEnoughToGiveUpOnABuild() {
        try (KafkaTestClient kafka = new KafkaTestClient(bootstrapServers)) {
            String buildId = UUID.randomUUID().toString();
            crashAttempts(buildId, config.maxCrashedAttempts() - 1);

            send(kafka, request(buildId, "/bin/true"));

            BuildCompleted completed = EventJson.read(
                    kafka.awaitRecords(Topics.BUILDS_COMPLETED, buildId, 1, TIMEOUT).get(0).value(), BuildCompleted.class);
            assertEquals("builds/" + buildId + "/attempt-" + config.maxCrashedAttempts() + "/disk.qcow2",
                    completed.image().key());
        }
    }

    /** Attempts 1 to {@code count} of the build, each taken over from the last and left to expire, long ago. */
    private void crashAttempts(String buildId, int count) {
        for (int crash = 1; crash <= count; crash++) {
            // Each a lease duration after the last one's expiry, the last one's a lease duration ago.
            Clock then = shifted(config.lease().duration().multipliedBy(-(count - crash + 2L)));
            BuildLeases.Acquired died = (BuildLeases.Acquired) otherWorker("crashed-" + crash, then)
                    .tryAcquire(buildId, 0);
            assertEquals(crash, died.lease().attempt());
        }
    }
}
