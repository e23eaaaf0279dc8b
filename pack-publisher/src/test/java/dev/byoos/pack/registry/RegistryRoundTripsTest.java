package dev.byoos.pack.registry;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;

import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.junit.jupiter.api.Test;

import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.common.ResourceArg;
import io.quarkus.test.junit.QuarkusTest;

import dev.byoos.testsupport.DevStackResource;

/**
 * What one push costs the registry: the config blob every pack manifest names is uploaded once per
 * repository, not once per push, and a repository that lost it since gets it back. A registry that
 * cannot read back the blobs just uploaded (another client pushing the same ones) gets them again,
 * a bounded number of times.
 */
@QuarkusTest
@QuarkusTestResource(value = DevStackResource.class, initArgs = @ResourceArg(name = "database", value = "pack_publisher"))
class RegistryRoundTripsTest {

    /** ORAS's empty config, {@code {}}. */
    static final String EMPTY_CONFIG_DIGEST = OciRegistryClient.digest("{}".getBytes(StandardCharsets.UTF_8));

    static final String DIGEST_INVALID = "{\"errors\":[{\"code\":\"DIGEST_INVALID\","
            + "\"message\":\"provided digest did not match uploaded content\"}]}";

    @ConfigProperty(name = "byoos.publisher.registry.url")
    String registryUrl;

    final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();

    @Test
    void aSecondPushToARepositoryAsksNothingBeforeUploading() throws Exception {
        String repository = "roundtrips/" + UUID.randomUUID().toString().substring(0, 8);
        try (RegistryProxy proxy = RegistryProxy.inFrontOf(registryUrl)) {
            OciRegistryClient client = new OciRegistryClient(URI.create(proxy.url()), Optional.empty(), Optional.empty());
            push(client, repository, "1.0.0");
            int before = proxy.requests().size();

            push(client, repository, "1.0.1");

            List<String> second = proxy.requests().subList(before, proxy.requests().size());
            // One upload started (the file's; the upload's PUT goes to the Location the registry names, past
            // the proxy), no HEAD, and the config blob is not uploaded again.
            assertEquals(List.of("POST /v2/" + repository + "/blobs/uploads/", "PUT /v2/" + repository
                    + "/manifests/1.0.1"), second);
            assertTrue(client.manifest(repository, "1.0.1").isPresent());
        }
    }

    @Test
    void aRepositoryThatLostTheConfigBlobGetsItBack() throws Exception {
        String repository = "roundtrips/" + UUID.randomUUID().toString().substring(0, 8);
        OciRegistryClient client = new OciRegistryClient(URI.create(registryUrl), Optional.empty(), Optional.empty());
        push(client, repository, "1.0.0");
        HttpResponse<String> deleted = http.send(HttpRequest.newBuilder(URI.create(registryUrl + "/v2/" + repository
                + "/blobs/" + EMPTY_CONFIG_DIGEST)).DELETE().build(), HttpResponse.BodyHandlers.ofString());
        assertEquals(202, deleted.statusCode(), deleted.body());

        push(client, repository, "1.0.1");

        assertTrue(client.manifest(repository, "1.0.1").isPresent());
        HttpResponse<Void> config = http.send(HttpRequest.newBuilder(URI.create(registryUrl + "/v2/" + repository
                + "/blobs/" + EMPTY_CONFIG_DIGEST)).method("HEAD", HttpRequest.BodyPublishers.noBody()).build(),
                HttpResponse.BodyHandlers.discarding());
        assertEquals(200, config.statusCode());
    }

    @Test
    void aManifestTheRegistryCannotVerifyIsPushedAgainWithAllItsBlobs() throws Exception {
        String repository = "roundtrips/" + UUID.randomUUID().toString().substring(0, 8);
        try (RegistryProxy proxy = RegistryProxy.inFrontOf(registryUrl)) {
            OciRegistryClient client = new OciRegistryClient(URI.create(proxy.url()), Optional.empty(), Optional.empty());
            push(client, repository, "1.0.0");
            // What distribution answers when another push rewrites a blob's link while the manifest is checked.
            proxy.refuseNext("PUT", ".*/manifests/.*", 400, DIGEST_INVALID);
            int before = proxy.requests().size();

            push(client, repository, "1.0.1");

            List<String> second = proxy.requests().subList(before, proxy.requests().size());
            String uploadStart = "POST /v2/" + repository + "/blobs/uploads/";
            String tagging = "PUT /v2/" + repository + "/manifests/1.0.1";
            // The file, the refused tagging; then the config blob (forgotten) and the file again, and the tagging.
            assertEquals(List.of(uploadStart, tagging, uploadStart, uploadStart, tagging), second);
            assertTrue(client.manifest(repository, "1.0.1").isPresent());
        }
    }

    @Test
    void aRegistryThatKeepsRefusingTheManifestFailsThePushAfterThreeAttempts() throws Exception {
        String repository = "roundtrips/" + UUID.randomUUID().toString().substring(0, 8);
        try (RegistryProxy proxy = RegistryProxy.inFrontOf(registryUrl)) {
            OciRegistryClient client = new OciRegistryClient(URI.create(proxy.url()), Optional.empty(), Optional.empty());
            for (int i = 0; i < 3; i++) {
                proxy.refuseNext("PUT", ".*/manifests/.*", 400, DIGEST_INVALID);
            }

            RegistryException refused = assertThrows(RegistryException.class, () -> push(client, repository, "1.0.0"));

            assertEquals(Optional.of("DIGEST_INVALID"), refused.errorCode());
            assertEquals(3, proxy.requests().stream().filter(request -> request.startsWith("PUT ")).count(),
                    proxy.requests().toString());
            assertTrue(client.manifest(repository, "1.0.0").isEmpty());
        }
    }

    private static void push(OciRegistryClient client, String repository, String tag) {
        byte[] content = ("pack " + tag + " " + UUID.randomUUID()).getBytes(StandardCharsets.UTF_8);
        client.push(repository, tag, content, OciRegistryClient.manifestFor("pack.tar.gz", content, Map.of()));
    }
}
