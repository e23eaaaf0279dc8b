package dev.byoos.pack.service;

import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;

import jakarta.enterprise.context.ApplicationScoped;

/**
 * What publishing waits for right now ({@code registry}, {@code database}), for the readiness check:
 * a replica that waits out an outage should not be handed more work by its load balancer or count
 * as ready in a rollout.
 */
@ApplicationScoped
public class WaitingDependencies {

    private final Map<String, Integer> waits = new ConcurrentHashMap<>();

    public void begin(String dependency) {
        waits.merge(dependency, 1, Integer::sum);
    }

    public void end(String dependency) {
        waits.computeIfPresent(dependency, (name, count) -> count > 1 ? count - 1 : null);
    }

    /** The dependencies some publication waits for, sorted; empty when none does. */
    public Set<String> current() {
        return new TreeSet<>(waits.keySet());
    }
}
