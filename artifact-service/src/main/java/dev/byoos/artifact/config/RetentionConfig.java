package dev.byoos.artifact.config;

import java.time.Duration;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;

/**
 * Which artifacts retention may delete: beyond the newest {@code keepLast} of a spec and target,
 * older than {@code gracePeriod}, and referenced by no published pack. Nothing is deleted until an
 * administrator runs it, after reading the same plan as a dry run.
 */
@ConfigMapping(prefix = "byoos.artifact.retention")
public interface RetentionConfig {

    /** Artifacts kept per team, spec and target (cloud and format), newest first. */
    @WithDefault("5")
    int keepLast();

    /** How old an artifact must be before it may go, however many newer ones exist. */
    @WithDefault("P7D")
    Duration gracePeriod();
}
