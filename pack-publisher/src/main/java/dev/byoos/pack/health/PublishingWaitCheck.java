package dev.byoos.pack.health;

import java.util.Set;

import jakarta.enterprise.context.ApplicationScoped;

import org.eclipse.microprofile.health.HealthCheck;
import org.eclipse.microprofile.health.HealthCheckResponse;
import org.eclipse.microprofile.health.HealthCheckResponseBuilder;
import org.eclipse.microprofile.health.Readiness;

import dev.byoos.pack.service.WaitingDependencies;

/**
 * Not ready while a publication waits out an outage, naming what it waits for: the registry's own
 * check cannot see a registry that answers 5xx or 429, nor the catalog's database.
 */
@Readiness
@ApplicationScoped
public class PublishingWaitCheck implements HealthCheck {

    public static final String NAME = "pack-publishing";

    private final WaitingDependencies waiting;

    public PublishingWaitCheck(WaitingDependencies waiting) {
        this.waiting = waiting;
    }

    @Override
    public HealthCheckResponse call() {
        Set<String> dependencies = waiting.current();
        HealthCheckResponseBuilder response = HealthCheckResponse.named(NAME).status(dependencies.isEmpty());
        if (!dependencies.isEmpty()) {
            response.withData("waitingFor", String.join(",", dependencies));
        }
        return response.build();
    }
}
