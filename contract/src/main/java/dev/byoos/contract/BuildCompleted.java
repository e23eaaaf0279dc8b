package dev.byoos.contract;

import static dev.byoos.contract.Require.notBlank;
import static dev.byoos.contract.Require.notNull;
import static dev.byoos.contract.Require.positive;
import static dev.byoos.contract.Require.sha256Hex;

/**
 * {@value EventTypes#BUILD_COMPLETED} on {@value Topics#BUILDS_COMPLETED}: the image is built and
 * staged in S3. The sha256 was computed by the worker while uploading; artifact-service verifies it.
 */
public record BuildCompleted(BuildCoordinates build, StagedObject image, String builder, long durationMillis) {

    public BuildCompleted {
        notNull(build, "build");
        notNull(image, "image");
        notBlank(builder, "builder");
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
