package dev.byoos.artifact.config;

import java.time.Duration;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;

/** Presigned download URLs: anyone holding one can read the artifact until it expires, so expiry is bounded. */
@ConfigMapping(prefix = "byoos.artifact.downloads")
public interface DownloadConfig {

    /** When the caller asks for no particular expiry. */
    @WithDefault("PT15M")
    Duration defaultExpiry();

    /** The longest expiry a caller may ask for; longer requests are refused (400). S3 allows at most 7 days. */
    @WithDefault("PT1H")
    Duration maxExpiry();
}
