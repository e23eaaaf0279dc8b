package dev.byoos.artifact.health;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;

import org.eclipse.microprofile.health.HealthCheck;
import org.eclipse.microprofile.health.HealthCheckResponse;
import org.eclipse.microprofile.health.Readiness;

import dev.byoos.artifact.config.S3Config;
import dev.byoos.artifact.storage.ArtifactStore;

/** Not ready while either bucket cannot be reached: nothing could be verified or promoted. */
@Readiness
@ApplicationScoped
public class ArtifactStorageCheck implements HealthCheck {

    @Inject
    ArtifactStore store;

    @Inject
    S3Config config;

    @Override
    public HealthCheckResponse call() {
        boolean staging = store.reachable(config.stagingBucket());
        boolean artifacts = store.reachable(config.artifactsBucket());
        return HealthCheckResponse.named("s3-buckets")
                .status(staging && artifacts)
                .withData(config.stagingBucket(), staging)
                .withData(config.artifactsBucket(), artifacts)
                .build();
    }
}
