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
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;

import jakarta.inject.Inject;

import org.awaitility.Awaitility;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.junit.jupiter.api.Test;

import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusMock;
import io.quarkus.test.junit.QuarkusTest;

import dev.byoos.contract.BuildCompleted;
import dev.byoos.contract.BuildRequested;
import dev.byoos.contract.EventJson;
import dev.byoos.contract.EventTypes;
import dev.byoos.contract.Topics;
import dev.byoos.testsupport.DevStackResource;
import dev.byoos.testsupport.KafkaTestClient;
import dev.byoos.worker.builder.Builder;
import dev.byoos.worker.builder.core.BuildLog;
import dev.byoos.worker.builder.disk.BootSmokeTest;
import dev.byoos.worker.builder.process.BuildCancellation;
import dev.byoos.worker.messaging.TestBasesResource;
import dev.byoos.worker.storage.StagingStore;

/**
 * What a build keeps for later builds (its cache entries) is kept only once the build is done: after
 * its completion record, never for a build cancelled after its builder returned; and whatever was set
 * aside for the caches is removed either way.
 */
@QuarkusTest
@QuarkusTestResource(DevStackResource.class)
@QuarkusTestResource(TestBasesResource.class)
class KeepingAfterCompletionTest {

    private static final Duration TIMEOUT = Duration.ofSeconds(90);
    private static final Duration QUIET = Duration.ofSeconds(2);

    @ConfigProperty(name = "kafka.bootstrap.servers")
    String bootstrapServers;
    @Inject
    StagingStore staging;

    /** Records when and how often the worker keeps and closes, and whether the build was recorded by then. */
    private final class RecordingKeeping implements Builder.Keeping {

        final AtomicInteger kept = new AtomicInteger();
        final AtomicBoolean completionRecordedWhenKept = new AtomicBoolean();
        final AtomicBoolean closed = new AtomicBoolean();
        private final String buildId;

        RecordingKeeping(String buildId) {
            this.buildId = buildId;
        }

        @Override
        public void keep(BuildLog log) {
            kept.incrementAndGet();
            completionRecordedWhenKept.set(staging.getText(BuildOutputs.completionKey(buildId), BuildOutputs.MAX_COMPLETION_BYTES).isPresent());
        }

        @Override
        public void close() {
            closed.set(true);
        }
    }

    /** Writes a small image and hands back {@code keeping}; cancels the build before returning when asked to. */
    private static final class KeepingBuilder implements Builder {

        private final RecordingKeeping keeping;
        private final boolean cancelBeforeReturning;

        KeepingBuilder(RecordingKeeping keeping, boolean cancelBeforeReturning) {
            this.keeping = keeping;
            this.cancelBeforeReturning = cancelBeforeReturning;
        }

        @Override
        public String id() {
            return "keeping-builder";
        }

        @Override
        public boolean supports(String cloud, String format) {
            return true;
        }

        @Override
        public BuiltImage build(BuildRequested request, Path workDir, BuildLog log, BuildCancellation cancellation) {
            throw new AssertionError("the worker leaves the keeping to itself");
        }

        @Override
        public BuiltImage build(BuildRequested request, Path workDir, BuildLog log, BuildCancellation cancellation,
                Consumer<Path> written) {
            Path image = workDir.resolve("disk.qcow2");
            try {
                Files.writeString(image, "an image of " + request.build().buildId());
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
            if (cancelBeforeReturning) {
                // A cancellation that arrives after the builder's part, before the completion record.
                cancellation.cancel();
            }
            return new BuiltImage(image, "qcow2", BootSmokeTest.skipped("test double"), null, List.of(), false,
                    List.of(), keeping);
        }
    }

    private void useBuilder(Builder builder) {
        QuarkusMock.installMockForType(new Builders(Optional.of(builder), Set.of(), () -> builder, builder,
                Optional.empty()), Builders.class);
    }

    @Test
    void aBuildKeepsItsCacheEntriesOnceItsCompletionIsRecordedAndOnlyOnce() {
        String buildId = UUID.randomUUID().toString();
        RecordingKeeping keeping = new RecordingKeeping(buildId);
        useBuilder(new KeepingBuilder(keeping, false));
        try (KafkaTestClient kafka = new KafkaTestClient(bootstrapServers)) {
            send(kafka, buildId);

            BuildCompleted completed = EventJson.read(kafka.awaitRecords(Topics.BUILDS_COMPLETED, buildId, 1, TIMEOUT)
                    .get(0).value(), BuildCompleted.class);
            Awaitility.await().atMost(TIMEOUT).untilTrue(keeping.closed);

            assertEquals(buildId, completed.build().buildId());
            assertEquals(1, keeping.kept.get(), "kept once");
            assertTrue(keeping.completionRecordedWhenKept.get(), "kept only after the completion record");
        }
    }

    @Test
    void aBuildCancelledAfterItsBuilderReturnedKeepsNothingAndRemovesWhatItSetAside() {
        String buildId = UUID.randomUUID().toString();
        RecordingKeeping keeping = new RecordingKeeping(buildId);
        useBuilder(new KeepingBuilder(keeping, true));
        try (KafkaTestClient kafka = new KafkaTestClient(bootstrapServers)) {
            send(kafka, buildId);

            Awaitility.await().atMost(TIMEOUT).untilTrue(keeping.closed);

            assertEquals(0, keeping.kept.get(), "a cancelled build keeps nothing");
            assertEquals(List.of(), kafka.recordsWithin(Topics.BUILDS_COMPLETED, buildId, QUIET));
            assertTrue(staging.getText(BuildOutputs.completionKey(buildId), BuildOutputs.MAX_COMPLETION_BYTES).isEmpty(), "no completion record");
        }
    }

    private static void send(KafkaTestClient kafka, String buildId) {
        BuildRequested request = LeaseAcrossWorkersTest.request(buildId, "true");
        kafka.sendCloudEvent(Topics.BUILDS_REQUESTED, buildId, EventTypes.BUILD_REQUESTED,
                UUID.randomUUID().toString(), EventJson.write(request));
    }
}
