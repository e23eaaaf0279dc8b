package dev.byoos.artifact.config;

import java.time.Duration;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;

/**
 * While PostgreSQL is unreachable, work waits with capped exponential backoff: the first pause, and
 * the longest.
 */
@ConfigMapping(prefix = "byoos.artifact.database.retry")
public interface DatabaseRetryConfig {

    @WithDefault("PT1S")
    Duration initialBackoff();

    @WithDefault("PT30S")
    Duration maxBackoff();
}
