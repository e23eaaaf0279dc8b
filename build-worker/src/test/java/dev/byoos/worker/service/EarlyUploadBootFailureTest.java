package dev.byoos.worker.service;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.function.Consumer;

import jakarta.inject.Inject;

import org.awaitility.Awaitility;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.junit.jupiter.api.Test;

import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusMock;
import io.quarkus.test.junit.QuarkusTest;

import dev.byoos.contract.BuildFailed;
import dev.byoos.contract.BuildRequested;
import dev.byoos.contract.EventJson;
import dev.byoos.contract.EventTypes;
import dev.byoos.contract.Topics;
import dev.byoos.testsupport.DevStackResource;
import dev.byoos.testsupport.KafkaTestClient;
import dev.byoos.worker.builder.Builder;
import dev.byoos.worker.builder.core.BuildException;
import dev.byoos.worker.builder.core.BuildLog;
import dev.byoos.worker.builder.process.BuildCancellation;
import dev.byoos.worker.messaging.TestBasesResource;
import dev.byoos.worker.storage.StagingStore;

/**
 * The image's upload starts while its boot test runs; a boot test that fails after the upload
 * finished still fails the build as before, and leaves nothing behind that could become an
 * artifact: no build.completed, no completion record, and the staged image removed.
 */
@QuarkusTest
@QuarkusTestResource(DevStackResource.class)
@QuarkusTestResource(TestBasesResource.class)
class EarlyUploadBootFailureTest {

    private static final Duration TIMEOUT = Duration.ofSeconds(90);
    private static final Duration QUIET = Duration.ofSeconds(2);
    private static final String IMAGE = "disk.qcow2";

    @ConfigProperty(name = "kafka.bootstrap.servers")
    String bootstrapServers;
    @Inject
    StagingStore staging;

    /** Writes an image of two 8 MiB parts, hands it over for upload, waits until it is staged, then fails its boot test. */
    private final class BootFailsAfterTheUpload implements Builder {

        @Override
        public String id() {
            return "boot-fails-after-the-upload";
        }

        @Override
        public boolean supports(String cloud, String format) {
            return true;
        }

        @Override
        public BuiltImage build(BuildRequested request, Path workDir, BuildLog log, BuildCancellation cancellation) {
            throw new AssertionError("the worker hands the builder its early upload");
        }

        @Override
        public BuiltImage build(BuildRequested request, Path workDir, BuildLog log, BuildCancellation cancellation,
                Consumer<Path> written) {
            Path image = workDir.resolve(IMAGE);
            try {
                Files.write(image, new byte[9 * 1024 * 1024]);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
            written.accept(image);
            Awaitility.await().atMost(TIMEOUT).until(() -> stagedImages(request.build().buildId()).size() == 1);
            throw new BuildException(BuildException.Kind.BUILDER, "BOOT_TEST_FAILED",
                    "the image did not boot (test double)", null);
        }
    }

    @Test
    void aBootTestThatFailsAfterTheUploadLeavesNoAnnouncedOrStagedImage() {
        Builder failing = new BootFailsAfterTheUpload();
        QuarkusMock.installMockForType(new Builders(Optional.of(failing), Set.of(), () -> failing, failing,
                Optional.empty()), Builders.class);
        String buildId = UUID.randomUUID().toString();
        BuildRequested request = LeaseAcrossWorkersTest.request(buildId, "true");
        try (KafkaTestClient kafka = new KafkaTestClient(bootstrapServers)) {
            kafka.sendCloudEvent(Topics.BUILDS_REQUESTED, buildId, EventTypes.BUILD_REQUESTED,
                    UUID.randomUUID().toString(), EventJson.write(request));

            BuildFailed failed = EventJson.read(kafka.awaitRecords(Topics.BUILDS_FAILED, buildId, 1, TIMEOUT).get(0)
                    .value(), BuildFailed.class);

            assertEquals("BOOT_TEST_FAILED", failed.code());
            assertEquals(List.of(), kafka.recordsWithin(Topics.BUILDS_COMPLETED, buildId, QUIET));
            assertEquals(List.of(), stagedImages(buildId));
            assertTrue(staging.getText(BuildOutputs.completionKey(buildId), BuildOutputs.MAX_COMPLETION_BYTES).isEmpty(), "no completion record");
        }
    }

    private List<String> stagedImages(String buildId) {
        return staging.list(BuildOutputs.prefix(buildId)).stream().filter(key -> key.endsWith("/" + IMAGE)).toList();
    }
}
