package dev.byoos.pack.registry;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
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
import dev.byoos.testsupport.TestStack;

/**
 * What one push costs the registry: the config blob every pack manifest names is uploaded once per
 * repository, not once per push, and a repository that lost it since gets it back. A registry that
 * cannot read back the blobs just uploaded (another client pushing the same ones) gets them again,
 * a bounded number of times, and a manifest it cannot read back after accepting it is pushed again
 * in other bytes.
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

            OciRegistryClient.Manifest pushed = push(client, repository, "1.0.1");

            List<String> second = proxy.requests().subList(before, proxy.requests().size());
            // One upload started (the file's; the upload's PUT goes to the Location the registry names, past
            // the proxy), no HEAD, and the config blob is not uploaded again; the manifest is read back.
            assertEquals(List.of("POST /v2/" + repository + "/blobs/uploads/", "PUT /v2/" + repository
                    + "/manifests/1.0.1", "GET /v2/" + repository + "/manifests/" + pushed.digest()), second);
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

            OciRegistryClient.Manifest pushed = push(client, repository, "1.0.1");

            List<String> second = proxy.requests().subList(before, proxy.requests().size());
            String uploadStart = "POST /v2/" + repository + "/blobs/uploads/";
            String tagging = "PUT /v2/" + repository + "/manifests/1.0.1";
            // The file, the refused tagging; then the config blob (forgotten) and the file again, the
            // tagging, and the read-back.
            assertEquals(List.of(uploadStart, tagging, uploadStart, uploadStart, tagging,
                    "GET /v2/" + repository + "/manifests/" + pushed.digest()), second);
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

    /**
     * A registry stopped while writing a manifest (its storage writes manifests in place) leaves
     * that digest's bytes empty, accepts the same manifest again without rewriting them, and then
     * answers 500 to every read of the tag. The push reads its manifest back and, finding it
     * unreadable, pushes it in other bytes, which the registry writes anew.
     */
    @Test
    void aManifestTheRegistryCannotReadBackIsTaggedInOtherBytes() throws Exception {
        String repository = "roundtrips/" + UUID.randomUUID().toString().substring(0, 8);
        try (RegistryProxy proxy = RegistryProxy.inFrontOf(registryUrl)) {
            OciRegistryClient client = new OciRegistryClient(URI.create(proxy.url()), Optional.empty(), Optional.empty());
            byte[] content = "pack".getBytes(StandardCharsets.UTF_8);
            OciRegistryClient.Manifest manifest = OciRegistryClient.manifestFor("pack.tar.gz", content, Map.of());
            proxy.leaveNextManifestUnreadable("/v2/" + repository + "/manifests/1.0.0", TestStack.registryStorage());

            OciRegistryClient.Manifest tagged = client.push(repository, "1.0.0", content, manifest);

            assertEquals(new String(manifest.bytes(), StandardCharsets.UTF_8) + "\n",
                    new String(tagged.bytes(), StandardCharsets.UTF_8), "the same manifest, one line feed after it");
            HttpResponse<byte[]> read = http.send(HttpRequest.newBuilder(URI.create(registryUrl + "/v2/" + repository
                    + "/manifests/1.0.0")).header("Accept", OciRegistryClient.MANIFEST_MEDIA_TYPE).build(),
                    HttpResponse.BodyHandlers.ofByteArray());
            assertEquals(200, read.statusCode());
            assertArrayEquals(tagged.bytes(), read.body());
            assertEquals(Optional.of(tagged.digest()), read.headers().firstValue("Docker-Content-Digest"));
            // The first spelling stays unreadable: a reader of it is told so, as an outage of that manifest.
            assertThrows(UnreadableManifestException.class, () -> client.manifest(repository, manifest.digest()));
        }
    }

    @Test
    void aRegistryThatNeverReadsTheManifestBackIsUnavailableAfterThreeOtherSpellings() throws Exception {
        String repository = "roundtrips/" + UUID.randomUUID().toString().substring(0, 8);
        try (RegistryProxy proxy = RegistryProxy.inFrontOf(registryUrl)) {
            OciRegistryClient client = new OciRegistryClient(URI.create(proxy.url()), Optional.empty(), Optional.empty());
            for (int i = 0; i < 4; i++) {
                proxy.refuseNext("GET", ".*/manifests/sha256:.*", 500, "{\"errors\":[{\"code\":\"UNKNOWN\"}]}");
            }

            RegistryUnavailableException unavailable = assertThrows(RegistryUnavailableException.class,
                    () -> push(client, repository, "1.0.0"));

            assertTrue(unavailable.getMessage().contains("does not read it back"), unavailable.getMessage());
            assertEquals(4, proxy.requests().stream().filter(request -> request.startsWith("PUT ")).count(),
                    proxy.requests().toString());
        }
    }

    /** @return the manifest tagged */
    private static OciRegistryClient.Manifest push(OciRegistryClient client, String repository, String tag) {
        byte[] content = ("pack " + tag + " " + UUID.randomUUID()).getBytes(StandardCharsets.UTF_8);
        return client.push(repository, tag, content, OciRegistryClient.manifestFor("pack.tar.gz", content, Map.of()));
    }
}
