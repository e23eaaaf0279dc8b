package dev.byoos.storage;

import java.time.Duration;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;

/**
 * {@code byoos.s3.*}: the one shape of the S3 settings, the same in every service that talks to
 * S3. Endpoint and credentials come from the environment ({@code BYOOS_S3_*}); a service reads only
 * the buckets it uses.
 */
@ConfigMapping(prefix = "byoos.s3")
public interface S3Settings {

    /** {@code http(s)://host:port} of the S3 API. */
    String endpoint();

    @WithDefault("us-east-1")
    String region();

    String accessKey();

    String secretKey();

    /** Where build-worker stages images until artifact-service has verified and promoted them. */
    @WithDefault("byoos-staging")
    String stagingBucket();

    /** Verified artifacts, stored under their content address {@code sha256/<digest>}. */
    @WithDefault("byoos-artifacts")
    String artifactsBucket();

    Retry retry();

    /**
     * While S3 is unreachable, work that needs it waits with capped exponential backoff instead of
     * failing; once S3 returns, it resumes within {@link #maxBackoff()}.
     */
    interface Retry {

        @WithDefault("PT1S")
        Duration initialBackoff();

        @WithDefault("PT30S")
        Duration maxBackoff();
    }
}
