package dev.byoos.spec.config;

import java.time.Duration;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;

@ConfigMapping(prefix = "spec-service")
public interface SpecServiceConfig {

    Outbox outbox();

    interface Outbox {
        /** How often the relay looks for records a crash left unpublished. */
        @WithDefault("1s")
        Duration pollInterval();

        /** Records locked and published per transaction. */
        @WithDefault("100")
        int batchSize();
    }
}
