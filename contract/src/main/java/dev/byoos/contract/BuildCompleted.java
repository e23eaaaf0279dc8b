package dev.byoos.contract;

import static dev.byoos.contract.Require.notBlank;
import static dev.byoos.contract.Require.notNull;
import static dev.byoos.contract.Require.positive;
import static dev.byoos.contract.Require.sha256Hex;

/**
 * {@value EventTypes#BUILD_COMPLETED} on {@value Topics#BUILDS_COMPLETED}: the image is built and
 * staged in S3. The sha256 was computed by the worker while uploading; artifact-service verifies it.
 */
public record BuildCompleted(BuildCoordinates build, StagedObject image, String builder, long durationMillis,
        BootTest bootTest) {

    public BuildCompleted {
        notNull(build, "build");
        notNull(image, "image");
        notBlank(builder, "builder");
    }

    public BuildCompleted(BuildCoordinates build, StagedObject image, String builder, long durationMillis) {
        this(build, image, builder, durationMillis, null);
    }

    /**
     * The boot smoke test's outcome (absent from workers that predate it). A failed boot fails the
     * build, so a completed build's test either passed or was skipped.
     *
     * @param result         {@code passed} or {@code skipped}
     * @param detail         e.g. the accelerator used, or why the test was skipped (no kernel in the base)
     * @param durationMillis from power-on to the marker on the serial console
     */
    public record BootTest(String result, String detail, long durationMillis) {
        public BootTest {
            notBlank(result, "bootTest.result");
        }
    }

    public record StagedObject(String bucket, String key, String sha256, long size, String format) {
        public StagedObject {
            notBlank(bucket, "image.bucket");
            notBlank(key, "image.key");
            sha256Hex(sha256, "image.sha256");
            positive(size, "image.size");
            notBlank(format, "image.format");
        }
    }
}
