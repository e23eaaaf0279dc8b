package dev.byoos.artifact.storage;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.ByteArrayInputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.UUID;

import org.junit.jupiter.api.Test;

import io.minio.MinioClient;
import io.minio.PutObjectArgs;

import dev.byoos.testsupport.Endpoints;
import dev.byoos.testsupport.TestStack;

/**
 * Presigned URLs name the public endpoint (byoos.artifact.downloads.public-endpoint), signed for
 * it: the test stack's S3 answers on 127.0.0.1 to the services and on the alias localhost to
 * "users". S3 checks the host a URL was signed for, so a URL signed for the internal host and
 * rewritten would be refused; this one downloads.
 */
class PublicDownloadLinksTest {

    private final Endpoints endpoints = TestStack.endpoints();
    private final HttpClient http = HttpClient.newHttpClient();

    @Test
    void aPresignedUrlNamesThePublicEndpointAndDownloadsThroughIt() throws Exception {
        URI internal = URI.create(endpoints.s3Endpoint());
        String alias = internal.getHost().equals("localhost") ? "127.0.0.1" : "localhost";
        URI publicEndpoint = URI.create(internal.getScheme() + "://" + alias + ":" + internal.getPort());
        MinioClient client = MinioClient.builder().endpoint(endpoints.s3Endpoint()).region(endpoints.s3Region())
                .credentials(endpoints.s3AccessKey(), endpoints.s3SecretKey()).build();
        String key = "sha256/public-link-" + UUID.randomUUID();
        byte[] content = "an image\n".getBytes(StandardCharsets.UTF_8);
        client.putObject(PutObjectArgs.builder().bucket(endpoints.s3ArtifactsBucket()).object(key)
                .stream(new ByteArrayInputStream(content), content.length, -1).build());
        ArtifactStore store = new ArtifactStore(client, ArtifactStore.presigner(publicEndpoint, endpoints.s3Region(),
                endpoints.s3AccessKey(), endpoints.s3SecretKey()), endpoints.s3ArtifactsBucket());

        URI url = URI.create(store.presignedDownload(key, Duration.ofMinutes(5)));

        assertEquals(alias, url.getHost());
        assertEquals(internal.getPort(), url.getPort());
        HttpResponse<byte[]> download = http.send(HttpRequest.newBuilder(url).build(),
                HttpResponse.BodyHandlers.ofByteArray());
        assertEquals(200, download.statusCode());
        assertArrayEquals(content, download.body());
        // The signature is bound to the host: the same URL pointed at the internal host is refused.
        URI rewritten = new URI(url.getScheme(), null, internal.getHost(), url.getPort(), url.getPath(),
                null, null);
        HttpResponse<String> refused = http.send(HttpRequest.newBuilder(URI.create(rewritten + "?" + url.getRawQuery()))
                .build(), HttpResponse.BodyHandlers.ofString());
        assertEquals(403, refused.statusCode(), refused.body());
    }
}
