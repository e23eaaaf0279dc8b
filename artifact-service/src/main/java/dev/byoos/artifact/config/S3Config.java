package dev.byoos.artifact.config;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;

@ConfigMapping(prefix = "byoos.s3")
public interface S3Config {

    String endpoint();

    @WithDefault("us-east-1")
    String region();

    String accessKey();

    String secretKey();

    /** Where build-worker stages images; only objects named by build.completed are read. */
    String stagingBucket();

    /** Verified artifacts, stored under their content address {@code sha256/<digest>}. */
    String artifactsBucket();
}
