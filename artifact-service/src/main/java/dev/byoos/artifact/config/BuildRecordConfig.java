package dev.byoos.artifact.config;

import java.time.Duration;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;

/**
 * How long a {@code build.completed} for a build this service has no {@code build.requested} of may
 * wait for it. The two arrive on different topics, so a request still in this service's backlog can
 * come after its build's completion; past the wait the completion is dead-lettered as UNKNOWN_BUILD.
 */
@ConfigMapping(prefix = "byoos.artifact.build-records")
public interface BuildRecordConfig {

    @WithDefault("PT30S")
    Duration unknownBuildWait();
}
