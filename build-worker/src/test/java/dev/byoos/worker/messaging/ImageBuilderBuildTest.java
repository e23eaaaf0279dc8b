package dev.byoos.worker.messaging;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.util.List;
import java.util.UUID;

import org.junit.jupiter.api.Test;

import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;

import dev.byoos.contract.BuildCompleted;
import dev.byoos.contract.BuildCompleted.CloudImage;
import dev.byoos.contract.BuildCoordinates;
import dev.byoos.contract.BuildFailed;
import dev.byoos.contract.BuildRequested;
import dev.byoos.contract.EventJson;
import dev.byoos.contract.Topics;
import dev.byoos.worker.builder.imagebuilder.ImageBuilderExecutor;
import dev.byoos.testsupport.DevStackResource;

/**
 * An image-builder build through real Kafka and S3, with the scripted stand-in for image-builder's
 * make: the Packer manifest is the staged artifact, the AMIs it names are in build.completed, and a
 * failing make is a build.failed a user can read.
 */
@QuarkusTest
@QuarkusTestResource(DevStackResource.class)
@QuarkusTestResource(TestBasesResource.class)
@QuarkusTestResource(ImageBuilderStandInResource.class)
class ImageBuilderBuildTest extends WorkerKafkaTest {

    static BuildRequested amiRequest(String buildId) {
        return new BuildRequested(new BuildCoordinates(buildId, "platform", "node", 1, "cd".repeat(32),
                new BuildCoordinates.OperatingSystem("ubuntu", "22.04"), "1.30.4",
                new BuildCoordinates.Target("aws", "ami"), new BuildCoordinates.Pack("p", "1.0.0", "P")),
                new BuildRequested.BaseImage("debian-12-skeleton"), List.of(), BuildRequested.STANDARD, List.of("jq"),
                null, null, null, null, null, BuildRequested.IMAGE_BUILDER,
                new BuildRequested.CloudParameters(List.of("eu-west-1", "us-east-1"), null, null, null), null);
    }

    @Test
    void anAmiBuildStagesPackersManifestAndAnnouncesTheAmiOfEveryRegion() throws Exception {
        String buildId = UUID.randomUUID().toString();
        send(amiRequest(buildId), UUID.randomUUID().toString());

        BuildCompleted completed = EventJson.read(
                kafka.awaitRecords(Topics.BUILDS_COMPLETED, buildId, 1, TIMEOUT).get(0).value(), BuildCompleted.class);
        assertEquals(ImageBuilderExecutor.ID, completed.builder());
        assertEquals(ImageBuilderExecutor.MANIFEST_FORMAT, completed.image().format());
        assertEquals("builds/" + buildId + "/attempt-1/packer-manifest.json", completed.image().key());
        assertEquals(sha256Of(completed.image().bucket(), completed.image().key()), completed.image().sha256());
        assertEquals(List.of(new CloudImage("aws", "eu-west-1", "ami-01000000000000001"),
                new CloudImage("aws", "us-east-1", "ami-02000000000000002")), completed.cloudImages());
    }

    @Test
    void aFailingImageBuilderRunIsABuildFailureThatSaysWhy() throws Exception {
        Files.writeString(ImageBuilderStandInResource.CHECKOUT.resolve("mode"), "fail");
        try {
            String buildId = UUID.randomUUID().toString();
            send(amiRequest(buildId), UUID.randomUUID().toString());

            BuildFailed failed = EventJson.read(
                    kafka.awaitRecords(Topics.BUILDS_FAILED, buildId, 1, TIMEOUT).get(0).value(), BuildFailed.class);
            assertEquals("IMAGE_BUILDER_FAILED", failed.code());
            assertTrue(failed.retryable());
            assertTrue(failed.reason().contains("build-ami-ubuntu-2204 exited with 1")
                    && failed.reason().contains("UnauthorizedOperation"), failed.reason());
        } finally {
            Files.deleteIfExists(ImageBuilderStandInResource.CHECKOUT.resolve("mode"));
        }
    }
}
