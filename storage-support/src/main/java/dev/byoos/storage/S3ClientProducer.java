package dev.byoos.storage;

import java.time.Duration;
import java.util.List;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.inject.Produces;
import jakarta.inject.Singleton;

import io.minio.MinioAsyncClient;
import io.minio.MinioClient;
import io.minio.http.HttpUtils;
import okhttp3.CertificatePinner;
import okhttp3.ConnectionSpec;
import okhttp3.HttpUrl;
import okhttp3.OkHttpClient;

/**
 * The service's MinIO clients, built from {@link S3Settings}: one synchronous, one asynchronous. Each
 * is thread-safe and holds a connection pool, so every store in a service shares them.
 */
@ApplicationScoped
public class S3ClientProducer {

    /** MinIO's own default for connect, read and write timeouts. */
    private static final Duration TIMEOUT = Duration.ofMinutes(5);

    @Produces
    @Singleton
    MinioClient minioClient(S3Settings settings) {
        return MinioClient.builder()
                .endpoint(settings.endpoint())
                // Explicit, so the client never asks the endpoint for a bucket's region first.
                .region(settings.region())
                .credentials(settings.accessKey(), settings.secretKey())
                .httpClient(httpClient(settings.endpoint()), true)
                .build();
    }

    /**
     * The same endpoint and credentials as {@link #minioClient}, asynchronous: only this client offers
     * the multipart calls one by one (build-worker's parallel part uploads). Its HTTP client has the
     * same cheap-to-copy shape.
     */
    @Produces
    @Singleton
    MinioAsyncClient minioAsyncClient(S3Settings settings) {
        return MinioAsyncClient.builder()
                .endpoint(settings.endpoint())
                .region(settings.region())
                .credentials(settings.accessKey(), settings.secretKey())
                .httpClient(httpClient(settings.endpoint()), true)
                .build();
    }

    /**
     * MinIO's default HTTP client, shaped so that copying it is cheap: MinIO derives a new client
     * ({@code newBuilder().build()}) for every PUT whose body is not a byte array, which is every
     * object write. With MinIO's own client each copy compared the whole CA trust-root index
     * certificate by certificate, because the client's certificate pinner held a different (equal)
     * chain cleaner than the client itself; that was ~14 % of build-worker's CPU under load.
     * <ul>
     * <li>{@code http://}: cleartext only, so a copy sets up no TLS at all.</li>
     * <li>{@code https://}: the platform trust store and hostname verification stay exactly as they
     * are; only the (pin-less) pinner is rebound to the client's own chain cleaner, so a copy finds
     * it identical instead of comparing every root.</li>
     * </ul>
     */
    static OkHttpClient httpClient(String endpoint) {
        OkHttpClient.Builder builder = HttpUtils.newDefaultHttpClient(
                TIMEOUT.toMillis(), TIMEOUT.toMillis(), TIMEOUT.toMillis()).newBuilder();
        HttpUrl url = HttpUrl.parse(endpoint);
        // MinIO reads an endpoint without a scheme as https, and so does this.
        if (url != null && !url.isHttps()) {
            builder.connectionSpecs(List.of(ConnectionSpec.CLEARTEXT));
        } else {
            builder.certificatePinner(CertificatePinner.DEFAULT);
        }
        return builder.build();
    }
}
