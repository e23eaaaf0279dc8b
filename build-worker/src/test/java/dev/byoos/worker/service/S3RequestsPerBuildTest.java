package dev.byoos.worker.service;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;

import jakarta.inject.Inject;

import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import io.minio.MinioAsyncClient;
import io.minio.MinioClient;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusMock;
import io.quarkus.test.junit.QuarkusTest;

import dev.byoos.contract.BuildRequested;
import dev.byoos.contract.EventJson;
import dev.byoos.contract.EventTypes;
import dev.byoos.contract.Topics;
import dev.byoos.testsupport.DevStackResource;
import dev.byoos.testsupport.KafkaTestClient;
import dev.byoos.worker.builder.Builder;
import dev.byoos.worker.builder.SyntheticBuilder;
import dev.byoos.worker.messaging.TestBasesResource;
import dev.byoos.worker.storage.StagingStore;

/**
 * The S3 requests one build makes, counted on the worker's own store (the load benchmark's
 * synthetic builder, real Kafka and S3): each is signed here and parsed by the S3 endpoint, so a
 * request the build's guarantees do not need is CPU spent on every build.
 */
@QuarkusTest
@QuarkusTestResource(DevStackResource.class)
@QuarkusTestResource(TestBasesResource.class)
class S3RequestsPerBuildTest {

    private static final Duration TIMEOUT = Duration.ofSeconds(90);
    private static final Duration QUIET = Duration.ofSeconds(2);
    /** The thread that renews leases on its own schedule: its requests depend on how long the build took. */
    private static final String HEARTBEAT_THREAD = "lease-heartbeats";

    @ConfigProperty(name = "kafka.bootstrap.servers")
    String bootstrapServers;
    @Inject
    MinioClient client;
    @Inject
    MinioAsyncClient parts;
    @Inject
    StagingStore staging;

    private CountingStore counting;

    /** Records each request by kind and key (a claim's random id as {@code <claim>}), leaving the heartbeat's out. */
    private static final class CountingStore extends StagingStore {

        final List<String> requests = new CopyOnWriteArrayList<>();

        CountingStore(MinioClient client, MinioAsyncClient parts, String bucket) {
            super(client, parts, bucket);
        }

        private void count(String kind, String key) {
            if (!Thread.currentThread().getName().equals(HEARTBEAT_THREAD)) {
                requests.add(kind + " " + key.replaceAll("/lease/(\\d+)/[^/]+\\.json$", "/lease/$1/<claim>"));
            }
        }

        @Override
        public Upload upload(Path file, String key, String contentType) {
            count("PUT", key);
            return super.upload(file, key, contentType);
        }

        @Override
        public Upload put(String key, byte[] bytes, String contentType) {
            count("PUT", key);
            return super.put(key, bytes, contentType);
        }

        @Override
        public Optional<String> getText(String key, int maxBytes) {
            count("GET", key);
            return super.getText(key, maxBytes);
        }

        @Override
        public List<String> list(String prefix) {
            count("LIST", prefix);
            return super.list(prefix);
        }

        @Override
        public void delete(String key) {
            count("DELETE", key);
            super.delete(key);
        }
    }

    @BeforeEach
    void countRequestsAndBuildSynthetically() {
        counting = new CountingStore(client, parts, staging.bucket());
        QuarkusMock.installMockForType(counting, StagingStore.class);
        Builder synthetic = SyntheticBuilder.forBenchmark(Duration.ZERO);
        QuarkusMock.installMockForType(new Builders(Optional.of(synthetic), Set.of(), () -> synthetic, synthetic,
                Optional.empty()), Builders.class);
    }

    @Test
    void aFirstDeliveryNeitherReadsTheAbsentCompletionRecordNorRewritesItsYoungClaimAndARedeliveryReadsTheRecord() {
        String buildId = UUID.randomUUID().toString();
        String build = BuildOutputs.prefix(buildId);
        String claim = build + "lease/0000000001/<claim>";
        BuildRequested request = LeaseAcrossWorkersTest.request(buildId, "true");
        try (KafkaTestClient kafka = new KafkaTestClient(bootstrapServers)) {
            send(kafka, request);
            String completed = kafka.awaitRecords(Topics.BUILDS_COMPLETED, buildId, 1, TIMEOUT).get(0).value();

            assertEquals(List.of(
                    // The lease: the build's keys listed (no completion record among them), the claim
                    // written, listed again, held.
                    "LIST " + build, "PUT " + claim, "LIST " + build, "PUT " + claim,
                    // The fence before staging: a later attempt looked for, the claim just written left as it is.
                    "LIST " + build,
                    "PUT " + build + "attempt-1/synthetic.qcow2", "PUT " + build + "attempt-1/build.log",
                    // The fence before the completion record, the record, the release.
                    "LIST " + build, "PUT " + BuildOutputs.completionKey(buildId), "PUT " + claim),
                    ofBuild(buildId));
            counting.requests.clear();

            send(kafka, request);

            assertEquals(completed, kafka.awaitRecords(Topics.BUILDS_COMPLETED, buildId, 2, TIMEOUT).get(1).value(),
                    "the recorded completion announced again");
            assertEquals(1, kafka.recordsWithin(Topics.BUILDS_STARTED, buildId, QUIET).size(), "built once");
            String readOfTheRecord = "GET " + BuildOutputs.completionKey(buildId);
            assertEquals(1, ofBuild(buildId).stream().filter(readOfTheRecord::equals).count(),
                    ofBuild(buildId).toString());
        }
    }

    private List<String> ofBuild(String buildId) {
        return counting.requests.stream().filter(request -> request.contains(buildId)).toList();
    }

    private static void send(KafkaTestClient kafka, BuildRequested request) {
        kafka.sendCloudEvent(Topics.BUILDS_REQUESTED, request.build().buildId(), EventTypes.BUILD_REQUESTED,
                UUID.randomUUID().toString(), EventJson.write(request));
    }
}
