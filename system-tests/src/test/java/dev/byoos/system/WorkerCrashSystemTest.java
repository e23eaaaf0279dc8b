package dev.byoos.system;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Supplier;
import java.util.stream.Stream;

import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

/**
 * A build-worker killed with SIGKILL in the middle of a build loses nothing: the request is
 * delivered again, a new worker builds it from a fresh scratch directory (what the dead one left
 * is removed), and downstream acts on exactly one completion. spec-service, artifact-service and
 * pack-publisher run as the local stack's processes; the workers are started and killed by the test.
 *
 * <p>The build waits in a post script until the test opens a gate file in the build's root
 * filesystem, so the kill lands mid-build by construction, not by timing.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class WorkerCrashSystemTest {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Duration STEP_TIMEOUT = Duration.ofMinutes(3);
    private static final String BASE = "crash-test-busybox";
    /** Busybox applets the base needs: the shell and what the gate script calls. */
    private static final List<String> APPLETS = List.of("sh", "mktemp", "sleep", "[");
    /** The script marks each attempt with a file of its own, then waits for the gate. */
    private static final String SPEC = """
            apiVersion: byoos.dev/v1alpha1
            kind: ImageSpec
            metadata: {name: crash-test-node, team: platform}
            spec:
              os: {name: debian, version: "12", base: {local: %s}}
              kubernetes: {version: 1.30.4}
              targets: [{cloud: qemu, format: qcow2}]
              customizations:
                users: [{name: ops}]
                scripts:
                  - name: wait-for-the-test
                    stage: post
                    timeout: 10m
                    content: |
                      mktemp /tmp/attempt.XXXXXX
                      while [ ! -e /tmp/proceed ]; do sleep 1; done
              pack: {name: crash-test-node, version: 1.0.0, displayName: Crash test node}
            """.formatted(BASE);
    /**
     * The broker hands a dead consumer's partitions to others once its session expires (45 s by
     * default); a shorter session keeps the test short and changes nothing else.
     */
    private static final List<String> WORKER_OPTIONS = List.of(
            "-Dmp.messaging.incoming.\"byoos.builds.requested\".session.timeout.ms=8000",
            // The dead worker's lease must expire before the build is taken over (60 s by default).
            "-Dbyoos.worker.lease.duration=10s", "-Dbyoos.worker.lease.renewal-interval=2s");

    private final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
    private LocalPipeline pipeline;
    private final List<WorkerProcess> workers = new ArrayList<>();

    @TempDir
    Path basesDir;

    @TempDir
    Path scratchDir;

    @BeforeAll
    void startPipelineWithoutAWorker() throws Exception {
        pipeline = LocalPipeline.start("worker-crash", "spec-service,artifact-service,pack-publisher");
    }

    @AfterAll
    void stopEverything() throws Exception {
        for (WorkerProcess worker : workers) {
            worker.close();
        }
        if (pipeline != null) {
            pipeline.close();
        }
    }

    @Test
    void aWorkerKilledMidBuildLosesNothingAndDownstreamActsOnOneCompletion() throws Exception {
        busyboxBase(basesDir.resolve(BASE));
        WorkerProcess first = startWorker("crash-test-worker-1");
        HttpResponse<String> submitted = http.send(HttpRequest.newBuilder(URI.create(pipeline.specService() + "/api/v1/specs"))
                .header("Content-Type", "application/yaml")
                .header("Authorization", pipeline.bearer("system-test", "submitter", "platform"))
                .POST(HttpRequest.BodyPublishers.ofString(SPEC)).build(), HttpResponse.BodyHandlers.ofString());
        assertEquals(201, submitted.statusCode(), submitted.body());
        String buildId = JSON.readTree(submitted.body()).path("builds").get(0).path("id").asText();
        Path firstTmp = scratchDir.resolve(buildId + ".attempt-1").resolve("rootfs/tmp");

        Path firstAttempt = await("the first attempt reaches its post script", () -> attempts(firstTmp).stream().findFirst());
        List<ProcessHandle> buildProcesses = first.descendants();
        first.killHard();
        // A pod's processes die with it; here the script, in a session of its own, would outlive the JVM.
        buildProcesses.forEach(ProcessHandle::destroyForcibly);
        assertTrue(Files.exists(firstAttempt), "the killed worker left its build's scratch directory behind");

        startWorker("crash-test-worker-2");
        assertFalse(Files.exists(firstAttempt), "the new worker removed what the killed one left before building");
        // Once the dead worker's lease has expired, as the next attempt, in a directory of its own.
        Path secondTmp = scratchDir.resolve(buildId + ".attempt-2").resolve("rootfs/tmp");
        Path secondAttempt = await("the redelivered request is built again",
                () -> attempts(secondTmp).stream().findFirst());
        assertNotEquals(firstAttempt, secondAttempt);
        assertEquals(List.of(secondAttempt), attempts(secondTmp), "the second attempt starts from a fresh tree");
        Files.createFile(secondTmp.resolve("proceed"));

        JsonNode build = pipeline.awaitFinalState(buildId);
        assertEquals("PUBLISHED", build.path("state").asText(), build.toPrettyString());
        assertEquals(2, recordsFor("byoos.builds.started", buildId), "each attempt announced its start");
        assertEquals(1, recordsFor("byoos.builds.completed", buildId), "one completion");
        assertEquals(1, recordsFor("byoos.artifacts.stored", buildId), "one artifact stored");
        assertEquals(1, recordsFor("byoos.packs.published", buildId), "one pack published");
        try (Stream<Path> left = Files.list(scratchDir)) {
            assertEquals(List.of(), left.filter(entry -> !entry.getFileName().toString().startsWith(".")).toList(),
                    "no build directory is left in the scratch space");
        }
    }

    private WorkerProcess startWorker(String name) throws IOException, InterruptedException {
        WorkerProcess worker = WorkerProcess.start(pipeline, name, basesDir, scratchDir, WORKER_OPTIONS);
        workers.add(worker);
        return worker;
    }

    private static List<Path> attempts(Path tmp) {
        if (!Files.isDirectory(tmp)) {
            return List.of();
        }
        try (Stream<Path> files = Files.list(tmp)) {
            return files.filter(file -> file.getFileName().toString().startsWith("attempt.")).toList();
        } catch (IOException e) {
            // The directory went away while we looked (the killed build's tree being removed).
            return List.of();
        }
    }

    /** How many records with this key the topic holds now, read from the beginning with a plain client. */
    private long recordsFor(String topic, String key) {
        Map<String, Object> config = new HashMap<>(pipeline.kafkaClientConfig("admin"));
        config.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
        try (KafkaConsumer<String, String> consumer = new KafkaConsumer<>(config, new StringDeserializer(),
                new StringDeserializer())) {
            List<TopicPartition> partitions = consumer.partitionsFor(topic).stream()
                    .map(info -> new TopicPartition(topic, info.partition())).toList();
            consumer.assign(partitions);
            consumer.seekToBeginning(partitions);
            Map<TopicPartition, Long> ends = consumer.endOffsets(partitions);
            long count = 0;
            while (partitions.stream().anyMatch(partition -> consumer.position(partition) < ends.get(partition))) {
                for (ConsumerRecord<String, String> record : consumer.poll(Duration.ofSeconds(1))) {
                    if (key.equals(record.key())) {
                        count++;
                    }
                }
            }
            return count;
        }
    }

    private static <T> T await(String what, Supplier<Optional<T>> probe) {
        return Awaitility.await(what).atMost(STEP_TIMEOUT).pollInterval(Duration.ofMillis(200))
                .until(probe::get, Optional::isPresent).orElseThrow();
    }

    /** The host's static busybox, the few applets the script uses, and the account files users need. */
    private static void busyboxBase(Path base) throws IOException {
        Path bin = Files.createDirectories(base.resolve("bin"));
        Files.copy(Path.of("/bin/busybox"), bin.resolve("busybox"));
        for (String applet : APPLETS) {
            Files.createSymbolicLink(bin.resolve(applet), Path.of("busybox"));
        }
        Path etc = Files.createDirectories(base.resolve("etc"));
        Files.writeString(etc.resolve("passwd"), "root:x:0:0:root:/root:/bin/sh\n", StandardCharsets.UTF_8);
        Files.writeString(etc.resolve("group"), "root:x:0:\n", StandardCharsets.UTF_8);
        Files.writeString(etc.resolve("shadow"), "root:*:::::::\n", StandardCharsets.UTF_8);
        Files.setPosixFilePermissions(Files.createDirectories(base.resolve("tmp")),
                PosixFilePermissions.fromString("rwxrwxrwx"));
    }
}
