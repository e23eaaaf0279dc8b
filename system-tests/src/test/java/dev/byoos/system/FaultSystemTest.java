package dev.byoos.system;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.parallel.Execution;
import org.junit.jupiter.api.parallel.ExecutionMode;

/**
 * The fault-injection suite's short variant (bench/faults.sh runs every fault kind): builds
 * stream through the whole local pipeline (synthetic builder) while PostgreSQL, S3, Kafka and the
 * registry are each stopped for 30 s, pack-publisher (mid-push), a worker (mid-build) and
 * artifact-service (mid-promotion) are killed during the outages of other servers, poison lands
 * on every consumed topic and the workers' group is rewound. Afterwards bench/FaultBench.java checks every accepted build against the databases, S3
 * and the registry: none may be lost, duplicated or stuck. It prints the suite's one line.
 *
 * <p>The harness is the benchmark's own program, run as a child JVM on the devstack jar, so the
 * figure in docs/benchmarks.md and this test judge builds by one definition.
 *
 * <p>It runs beside the other system test classes (junit-platform.properties): its pipeline is its
 * own, and it mostly waits out its outages.
 */
@Execution(ExecutionMode.CONCURRENT)
class FaultSystemTest {

    /**
     * Overlapping faults hit different services: a service killed during an outage would not meet
     * the outage (a worker restarting through an S3 outage never lists S3), which hides its handling.
     */
    static final String FAULTS = "outage:postgres,outage:s3+kill:pack-publisher,outage:kafka+kill:build-worker,"
            + "outage:registry+kill:artifact-service+poison,rewind:build-worker";
    static final int OUTAGE_SECONDS = 30;
    static final int SUBMIT_INTERVAL_MILLIS = 1000;
    static final int SETTLE_SECONDS = 120;
    static final String TEAM = "faults";

    @Test
    void noBuildIsLostDuplicatedOrStuckThroughKillsOutagesPoisonAndRedeliveries() throws Exception {
        try (LocalPipeline pipeline = LocalPipeline.start("faults",
                "spec-service,build-worker,artifact-service,pack-publisher", Map.of(
                        // The synthetic builder is refused in the prod profile; `bench` is a profile no configuration names.
                        "QUARKUS_PROFILE", "bench",
                        "BYOOS_WORKER_SYNTHETIC_BUILDER_ENABLED", "true",
                        "BYOOS_WORKER_SYNTHETIC_BUILDER_BUILD_TIME", "2s",
                        // Only this team's builds are synthetic: the suite's every 15th spec (its team
                        // TEAM-real) is built for real, from the skeleton base.
                        "BYOOS_WORKER_SYNTHETIC_BUILDER_TEAMS", TEAM,
                        // Eight synthetic builds at once (as bench/load.sh): the worker keeps up with the stream.
                        "SMALLRYE_MESSAGING_WORKER_BUILDS_MAX_CONCURRENCY", "8"))) {
            String token = pipeline.bearer("fault-suite", "submitter", TEAM, TEAM + "-real").substring("Bearer ".length());
            Path output = pipeline.dataDir.resolve("fault-bench.log");
            Process harness = new ProcessBuilder(List.of(Path.of(System.getProperty("java.home"), "bin", "java")
                    .toString(), "-Dorg.slf4j.simpleLogger.defaultLogLevel=error",
                    "-cp", pipeline.root.resolve("deploy/devstack/target/byoos-devstack.jar").toString(),
                    pipeline.root.resolve("bench/FaultBench.java").toString(), pipeline.dataDir.toString(), token, TEAM,
                    FAULTS, Integer.toString(OUTAGE_SECONDS), Integer.toString(SUBMIT_INTERVAL_MILLIS),
                    Integer.toString(SETTLE_SECONDS)))
                    .directory(pipeline.root.toFile())
                    .redirectErrorStream(true)
                    .redirectOutput(output.toFile())
                    .start();
            boolean finished = harness.waitFor(15, TimeUnit.MINUTES);
            if (!finished) {
                harness.destroyForcibly();
            }
            String report = Files.readString(output, StandardCharsets.UTF_8);
            System.out.println(report);
            assertTrue(finished, "the fault suite did not finish:\n" + report);
            String line = report.lines().filter(l -> l.startsWith("faults ")).findFirst()
                    .orElseThrow(() -> new AssertionError("the fault suite printed no result line:\n" + report));
            assertTrue(line.contains("lost 0, duplicated 0, stuck 0"), line + "\n" + report);
            assertEquals(0, harness.exitValue(), report);
            Matcher real = Pattern.compile("real builds .*: (\\d+) accepted, (\\d+) published exactly once").matcher(report);
            assertTrue(real.find() && Integer.parseInt(real.group(2)) > 0, "no real build went through the faults:\n" + report);
        }
    }
}
