package dev.byoos.worker.config;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;

@ConfigMapping(prefix = "byoos.s3")
public interface S3Config {

    String endpoint();

    @WithDefault("us-east-1")
    String region();

    String accessKey();

    String secretKey();

    /** Where built images wait for artifact-service to verify and promote them. */
    String stagingBucket();
}
