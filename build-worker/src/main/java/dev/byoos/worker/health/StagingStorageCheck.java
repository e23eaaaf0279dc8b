package dev.byoos.worker.health;

import jakarta.enterprise.context.ApplicationScoped;

import org.eclipse.microprofile.health.HealthCheck;
import org.eclipse.microprofile.health.HealthCheckResponse;
import org.eclipse.microprofile.health.Readiness;

import dev.byoos.worker.storage.StagingStore;

/** Not ready while the staging bucket cannot be reached: every build would fail to upload. */
@Readiness
@ApplicationScoped
public class StagingStorageCheck implements HealthCheck {

    private final StagingStore staging;

    StagingStorageCheck(StagingStore staging) {
        this.staging = staging;
    }

    @Override
    public HealthCheckResponse call() {
        return HealthCheckResponse.named("s3-staging-bucket")
                .status(staging.reachable())
                .withData("bucket", staging.bucket())
                .build();
    }
}
