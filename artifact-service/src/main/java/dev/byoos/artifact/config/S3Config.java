package dev.byoos.artifact.config;

import java.time.Duration;

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

    Retry retry();

    /**
     * While S3 is unreachable a build waits: its event is retried with exponential backoff, never
     * dead-lettered, and the build shows what it waits for.
     */
    interface Retry {

        @WithDefault("PT1S")
        Duration initialBackoff();

        /** The cap: once S3 returns, the build resumes within this long. */
        @WithDefault("PT30S")
        Duration maxBackoff();
    }
}
