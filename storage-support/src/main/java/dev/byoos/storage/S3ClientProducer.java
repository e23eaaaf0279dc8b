package dev.byoos.storage;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.inject.Produces;
import jakarta.inject.Singleton;

import io.minio.MinioClient;

/**
 * The service's one MinIO client, built from {@link S3Settings}. The client is thread-safe and
 * holds a connection pool, so every store in a service shares it.
 */
@ApplicationScoped
public class S3ClientProducer {

    @Produces
    @Singleton
    MinioClient minioClient(S3Settings settings) {
        return MinioClient.builder()
                .endpoint(settings.endpoint())
                // Explicit, so the client never asks the endpoint for a bucket's region first.
                .region(settings.region())
                .credentials(settings.accessKey(), settings.secretKey())
                .build();
    }
}
