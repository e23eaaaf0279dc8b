package dev.byoos.artifact.storage;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.List;

import org.junit.jupiter.api.Test;

import io.minio.RemoveObjectArgs;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.common.ResourceArg;
import io.quarkus.test.junit.QuarkusIntegrationTest;

import dev.byoos.artifact.SigningKeysResource;
import dev.byoos.artifact.StagedBuilds;
import dev.byoos.contract.ArtifactStored;
import dev.byoos.contract.BuildCompleted;
import dev.byoos.testsupport.DevStackResource;

/**
 * A 2 GiB image through the packaged service, run as its own process with a 256 MiB heap
 * ({@code quarkus.test.arg-line} in the failsafe configuration): verification and promotion stream,
 * or this runs out of memory. The stored object is re-hashed here, independently of the service.
 */
@QuarkusIntegrationTest
@QuarkusTestResource(value = DevStackResource.class, initArgs = @ResourceArg(name = "database", value = "artifact_service"))
@QuarkusTestResource(SigningKeysResource.class)
class LargeImagePromotionIT {

    static final long TWO_GIB = 2L * 1024 * 1024 * 1024;
    static final String HEAP_CAP = "-Xmx256m";

    @Test
    void promotesATwoGibImageWithAQuarterGibHeap() throws Exception {
        assertTrue(serviceCommandLines().stream().anyMatch(line -> line.contains(HEAP_CAP)),
                "the service under test runs with " + HEAP_CAP + ": " + serviceCommandLines());
        try (StagedBuilds builds = new StagedBuilds()) {
            BuildCompleted completed = builds.stageGenerated("platform", "large", TWO_GIB);
            builds.send(completed);
            ArtifactStored stored = builds.awaitStored(completed.build().buildId(), 1, Duration.ofMinutes(15)).get(0);

            assertEquals(completed.image().sha256(), stored.sha256());
            assertEquals(TWO_GIB, stored.size());
            assertEquals("sha256/" + completed.image().sha256(), stored.key());
            assertEquals(completed.image().sha256(), builds.sha256Of(stored.bucket(), stored.key()));
            assertTrue(serviceCommandLines().size() == 1, "the service survived: " + serviceCommandLines());

            // Four GiB of test data would otherwise stay in the stack's data directory until it stops.
            builds.s3.removeObject(RemoveObjectArgs.builder().bucket(completed.image().bucket())
                    .object(completed.image().key()).build());
            builds.s3.removeObject(RemoveObjectArgs.builder().bucket(stored.bucket()).object(stored.key()).build());
        }
    }

    /** The packaged service this JVM launched ({@code quarkus-run.jar}), by command line. */
    private static List<String> serviceCommandLines() {
        return ProcessHandle.current().descendants()
                .map(process -> process.info().commandLine().orElse(""))
                .filter(line -> line.contains("quarkus-run.jar"))
                .toList();
    }
}
