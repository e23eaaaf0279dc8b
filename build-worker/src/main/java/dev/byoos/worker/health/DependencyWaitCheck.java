package dev.byoos.worker.health;

import java.util.Set;

import jakarta.enterprise.context.ApplicationScoped;

import org.eclipse.microprofile.health.HealthCheck;
import org.eclipse.microprofile.health.HealthCheckResponse;
import org.eclipse.microprofile.health.Readiness;

import dev.byoos.worker.service.OutageWaits;

/**
 * Not ready while a request waits out an outage, naming what it waits for ({@code s3}, {@code kafka}):
 * the signal an operator and the platform see, with the request still in hand rather than failed.
 */
@Readiness
@ApplicationScoped
public class DependencyWaitCheck implements HealthCheck {

    private final OutageWaits outages;

    DependencyWaitCheck(OutageWaits outages) {
        this.outages = outages;
    }

    @Override
    public HealthCheckResponse call() {
        Set<String> waitingFor = outages.waitingFor();
        return HealthCheckResponse.named("dependency-waits")
                .status(waitingFor.isEmpty())
                .withData("waitingFor", String.join(",", waitingFor))
                .build();
    }
}
