package dev.byoos.artifact.health;

import jakarta.enterprise.context.ApplicationScoped;

import org.eclipse.microprofile.health.HealthCheck;
import org.eclipse.microprofile.health.HealthCheckResponse;
import org.eclipse.microprofile.health.Readiness;

import dev.byoos.artifact.storage.ArtifactStore;
import dev.byoos.storage.S3Settings;

/** Not ready while either bucket cannot be reached: nothing could be verified or promoted. */
@Readiness
@ApplicationScoped
public class ArtifactStorageCheck implements HealthCheck {

    private final ArtifactStore store;
    private final S3Settings config;

    public ArtifactStorageCheck(ArtifactStore store, S3Settings config) {
        this.store = store;
        this.config = config;
    }

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
