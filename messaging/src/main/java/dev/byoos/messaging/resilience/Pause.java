package dev.byoos.messaging.resilience;

import java.time.Duration;

/** How a blocking {@link DependencyWait} pauses between attempts. */
@FunctionalInterface
public interface Pause {

    /** @return false to stop waiting (the service stops, the build was cancelled) */
    boolean sleep(Duration duration);
}
