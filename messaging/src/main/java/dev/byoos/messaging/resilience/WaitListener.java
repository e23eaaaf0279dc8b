package dev.byoos.messaging.resilience;

/**
 * Told before every pause of a {@link DependencyWait}: the place to log, count and announce what a
 * build waits for. A listener that throws does not stop the wait: it is called for information.
 */
@FunctionalInterface
public interface WaitListener {

    void waiting(Waiting waiting);
}
