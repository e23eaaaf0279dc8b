package dev.byoos.pack.health;

import jakarta.enterprise.context.ApplicationScoped;

import org.eclipse.microprofile.health.HealthCheck;
import org.eclipse.microprofile.health.HealthCheckResponse;
import org.eclipse.microprofile.health.Readiness;

import dev.byoos.pack.registry.OciRegistryClient;

/** Not ready while the pack registry does not answer its API. */
@Readiness
@ApplicationScoped
public class RegistryCheck implements HealthCheck {

    private final OciRegistryClient registry;

    public RegistryCheck(OciRegistryClient registry) {
        this.registry = registry;
    }

    @Override
    public HealthCheckResponse call() {
        return HealthCheckResponse.named("oci-registry")
                .status(registry.reachable())
                .withData("url", registry.host())
                .build();
    }
}
