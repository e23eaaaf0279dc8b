package dev.byoos.spec.health;

import java.util.Map;
import java.util.TreeSet;

import jakarta.enterprise.context.ApplicationScoped;

import org.eclipse.microprofile.health.HealthCheck;
import org.eclipse.microprofile.health.HealthCheckResponse;
import org.eclipse.microprofile.health.HealthCheckResponseBuilder;
import org.eclipse.microprofile.health.Readiness;

import dev.byoos.messaging.resilience.Waiting;
import dev.byoos.spec.messaging.ConsumerWaits;

/**
 * Not ready while an event consumer waits for a dependency: {@code waitingFor} names it, and each
 * waiting channel says since which attempt. The consumers recover by themselves once it is back.
 */
@Readiness
@ApplicationScoped
public class ConsumerWaitsCheck implements HealthCheck {

    static final String NAME = "event-consumers";

    private final ConsumerWaits waits;

    public ConsumerWaitsCheck(ConsumerWaits waits) {
        this.waits = waits;
    }

    @Override
    public HealthCheckResponse call() {
        Map<String, Waiting> waiting = waits.waiting();
        HealthCheckResponseBuilder response = HealthCheckResponse.named(NAME).status(waiting.isEmpty());
        if (!waiting.isEmpty()) {
            TreeSet<String> dependencies = new TreeSet<>();
            waiting.forEach((channel, pause) -> {
                dependencies.add(pause.dependency());
                response.withData(channel, "waiting for the " + pause.dependency() + ", attempt " + pause.attempt()
                        + " failed: " + pause.failure().getMessage());
            });
            response.withData("waitingFor", String.join(",", dependencies));
        }
        return response.build();
    }
}
