package dev.byoos.contract;

import static dev.byoos.contract.Require.notBlank;
import static dev.byoos.contract.Require.notNull;
import static dev.byoos.contract.Require.positive;
import static dev.byoos.contract.Require.sha256Hex;

/**
 * {@value EventTypes#ARTIFACT_STORED} on {@value Topics#ARTIFACTS_STORED}: the image's checksum was
 * verified and it now lives at its content-addressed key.
 *
 * @param uri {@code s3://bucket/key} of the stored image
 */
public record ArtifactStored(BuildCoordinates build, String bucket, String key, String uri, String sha256,
        long size, String format) {

    public ArtifactStored {
        notNull(build, "build");
        notBlank(bucket, "bucket");
        notBlank(key, "key");
        notBlank(uri, "uri");
        sha256Hex(sha256, "sha256");
        positive(size, "size");
        notBlank(format, "format");
    }
}
