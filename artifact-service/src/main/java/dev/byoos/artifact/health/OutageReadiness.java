package dev.byoos.artifact.health;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

import jakarta.enterprise.context.ApplicationScoped;

import org.eclipse.microprofile.health.HealthCheck;
import org.eclipse.microprofile.health.HealthCheckResponse;
import org.eclipse.microprofile.health.HealthCheckResponseBuilder;
import org.eclipse.microprofile.health.Readiness;

/**
 * Not ready while any work waits out an outage, with the dependency it waits for named
 * ({@code waitingFor-<dependency>}: how many pieces of work wait for it); ready again once the last
 * of them got through. Kubernetes then sends the API's requests elsewhere, and an SRE sees what is
 * down.
 */
@Readiness
@ApplicationScoped
public class OutageReadiness implements HealthCheck {

    public static final String NAME = "dependency-outages";

    private final Map<String, Integer> waiting = new ConcurrentHashMap<>();

    /** A piece of work started waiting for {@code dependency}; each call is matched by one {@link #recovered}. */
    public void waiting(String dependency) {
        waiting.merge(dependency, 1, Integer::sum);
    }

    public void recovered(String dependency) {
        waiting.computeIfPresent(dependency, (name, count) -> count > 1 ? count - 1 : null);
    }

    @Override
    public HealthCheckResponse call() {
        HealthCheckResponseBuilder response = HealthCheckResponse.named(NAME).status(waiting.isEmpty());
        waiting.forEach((dependency, count) -> response.withData("waitingFor-" + dependency, count));
        return response.build();
    }
}
