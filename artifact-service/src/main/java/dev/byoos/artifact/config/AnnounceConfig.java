package dev.byoos.artifact.config;

import java.time.Duration;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;

/**
 * Announcing a build's outcome ({@code artifact.stored}, {@code build.failed}): how long Kafka may
 * take to acknowledge it, and the capped exponential backoff between sends while it does not.
 */
@ConfigMapping(prefix = "byoos.artifact.announce")
public interface AnnounceConfig {

    @WithDefault("PT60S")
    Duration timeout();

    @WithDefault("PT1S")
    Duration initialBackoff();

    @WithDefault("PT30S")
    Duration maxBackoff();
}
